//go:build amd64 && !purego

#include "go_asm.h"
#include "textflag.h"

// popcount holds the number of bits of each byte.
DATA popcount<>+0(SB)/8, $0x0302020102010100
DATA popcount<>+8(SB)/8, $0x0403030203020201
DATA popcount<>+16(SB)/8, $0x0403030203020201
DATA popcount<>+24(SB)/8, $0x0504040304030302
DATA popcount<>+32(SB)/8, $0x0403030203020201
DATA popcount<>+40(SB)/8, $0x0504040304030302
DATA popcount<>+48(SB)/8, $0x0504040304030302
DATA popcount<>+56(SB)/8, $0x0605050405040403
DATA popcount<>+64(SB)/8, $0x0403030203020201
DATA popcount<>+72(SB)/8, $0x0504040304030302
DATA popcount<>+80(SB)/8, $0x0504040304030302
DATA popcount<>+88(SB)/8, $0x0605050405040403
DATA popcount<>+96(SB)/8, $0x0504040304030302
DATA popcount<>+104(SB)/8, $0x0605050405040403
DATA popcount<>+112(SB)/8, $0x0605050405040403
DATA popcount<>+120(SB)/8, $0x0706060506050504
DATA popcount<>+128(SB)/8, $0x0403030203020201
DATA popcount<>+136(SB)/8, $0x0504040304030302
DATA popcount<>+144(SB)/8, $0x0504040304030302
DATA popcount<>+152(SB)/8, $0x0605050405040403
DATA popcount<>+160(SB)/8, $0x0504040304030302
DATA popcount<>+168(SB)/8, $0x0605050405040403
DATA popcount<>+176(SB)/8, $0x0605050405040403
DATA popcount<>+184(SB)/8, $0x0706060506050504
DATA popcount<>+192(SB)/8, $0x0504040304030302
DATA popcount<>+200(SB)/8, $0x0605050405040403
DATA popcount<>+208(SB)/8, $0x0605050405040403
DATA popcount<>+216(SB)/8, $0x0706060506050504
DATA popcount<>+224(SB)/8, $0x0605050405040403
DATA popcount<>+232(SB)/8, $0x0706060506050504
DATA popcount<>+240(SB)/8, $0x0706060506050504
DATA popcount<>+248(SB)/8, $0x0807070607060605
GLOBL popcount<>(SB), RODATA|NOPTR, $256

// BROADCAST repeats the low byte of reg in the sixteen bytes of x.
#define BROADCAST(reg, x) \
	MOVQ       reg, x \
	PUNPCKLBW  x, x \
	PSHUFLW    $0, x, x \
	PUNPCKLQDQ x, x

// func scanFlags(q *flagQueue, b []byte, j int, lim, tm byte, exact bool) int
//
// scanWords with SSE2, sixteen bytes a step: the bytes whose low seven bits are below
// 0x20 or above lim, and, when exact, those equal to tm, are flagged by two signed
// comparisons and one PCMPEQB, PMOVMSKB makes them sixteen bits, and the position
// of each flagged byte goes into the queue: the first two without a branch, as
// scanWords stores them.
TEXT ·scanFlags(SB), NOSPLIT, $0-56
	MOVQ q+0(FP), DI
	MOVQ b_base+8(FP), SI
	MOVQ b_len+16(FP), R10
	MOVQ j+32(FP), DX
	MOVL $0x7f, AX
	BROADCAST(AX, X8)
	MOVL $0x20, AX
	BROADCAST(AX, X9)
	MOVBLZX lim+40(FP), AX
	BROADCAST(AX, X10)
	MOVBLZX tm+41(FP), AX
	BROADCAST(AX, X11)
	PXOR X12, X12
	CMPB exact+42(FP), $0
	JEQ  start
	PCMPEQB X12, X12 // all ones: the terminator's matches count

start:
	XORQ AX, AX // n

loop:
	MOVQ R10, R11
	SUBQ DX, R11
	CMPQ R11, $16
	JLT  done
	CMPQ AX, $const_aheadMax
	JGE  done
	MOVOU (SI)(DX*1), X0
	MOVOU X0, X1
	PCMPEQB X11, X1
	PAND  X12, X1  // equal to tm, when exact
	PAND  X8, X0   // the low seven bits
	MOVOU X9, X2
	PCMPGTB X0, X2 // below 0x20
	PCMPGTB X10, X0 // above lim
	POR   X2, X0
	POR   X1, X0
	PMOVMSKB X0, BX
	// Store two positions whatever the count (a position past the sixteen bytes
	// when absent, never counted), so that the usual step costs no branch.
	MOVL BX, R13
	ORL  $0x30000, R13
	BSFL R13, CX // the first flagged byte, or 16
	LEAL -1(R13), R8
	ANDL R8, R13
	BSFL R13, R9 // the second, or 16 or 17
	ADDQ DX, CX
	ADDQ DX, R9
	MOVQ AX, R12
	ANDQ $const_flagMask, R12
	MOVQ CX, (DI)(R12*8)
	LEAQ 1(AX), R12
	ANDQ $const_flagMask, R12
	MOVQ R9, (DI)(R12*8)
	// The count: the bits of each half of the mask, from a table.
	LEAQ popcount<>(SB), R12
	MOVBLZX BL, R8
	MOVBLZX (R12)(R8*1), R8
	MOVL BX, R9
	SHRL $8, R9
	MOVBLZX (R12)(R9*1), R9
	ADDQ R8, R9
	CMPQ R9, $2
	JHI  rest
	ADDQ R9, AX
	ADDQ $16, DX
	JMP  loop

rest:
	// More than two: the third and later, one by one, from n+2.
	LEAQ 2(AX), R11
	ADDQ R9, AX
	MOVL BX, R13
	LEAL -1(R13), R8
	ANDL R8, R13
	LEAL -1(R13), R8
	ANDL R8, R13

more:
	BSFL R13, CX
	ADDQ DX, CX
	MOVQ R11, R12
	ANDQ $const_flagMask, R12
	MOVQ CX, (DI)(R12*8)
	INCQ R11
	LEAL -1(R13), R8
	ANDL R8, R13
	JNE  more
	ADDQ $16, DX
	JMP  loop

done:
	MOVQ AX, ret+48(FP)
	RET

//go:build amd64 && !purego

#include "go_asm.h"
#include "textflag.h"

// The mask split of parse with SSE2, sixteen bytes a step, which also copies the
// bytes to the parsed segment's text: PCMPEQB finds the element separators and the
// component and repetition separators, two signed comparisons of the bytes with their
// top bit flipped find those outside 0x20-0x7e, and PMOVMSKB turns each comparison
// into sixteen bits.

DATA flip<>+0(SB)/8, $0x8080808080808080
DATA flip<>+8(SB)/8, $0x8080808080808080
GLOBL flip<>(SB), RODATA|NOPTR, $16

// 0x20 ^ 0x80: a byte below 0x20 is, flipped, less than this (signed).
DATA below<>+0(SB)/8, $0xa0a0a0a0a0a0a0a0
DATA below<>+8(SB)/8, $0xa0a0a0a0a0a0a0a0
GLOBL below<>(SB), RODATA|NOPTR, $16

// 0x7e ^ 0x80: a byte above 0x7e is, flipped, greater than this (signed).
DATA above<>+0(SB)/8, $0xfefefefefefefefe
DATA above<>+8(SB)/8, $0xfefefefefefefefe
GLOBL above<>(SB), RODATA|NOPTR, $16

// CHUNK takes sixteen bytes in X0 (which it changes) and leaves in AX the bits of
// the element separators and in BX those of the special bytes, bit i for byte i.
#define CHUNK \
	MOVOU   X0, X1 \
	PCMPEQB X8, X1 \
	PMOVMSKB X1, AX \
	MOVOU   X0, X2 \
	PCMPEQB X9, X2 \
	MOVOU   X0, X3 \
	PCMPEQB X10, X3 \
	POR     X3, X2 \
	PXOR    X11, X0 \
	MOVOU   X12, X4 \
	PCMPGTB X0, X4 \
	PCMPGTB X13, X0 \
	POR     X4, X2 \
	POR     X0, X2 \
	PMOVMSKB X2, BX

// func splitMasks(raw []byte, dv *[48]byte, text *[textSize]byte) (sep, special uint64)
TEXT ·splitMasks(SB), NOSPLIT, $0-56
	MOVQ raw_base+0(FP), SI
	MOVQ raw_len+8(FP), R10
	MOVQ dv+24(FP), DI
	MOVQ text+32(FP), R11
	ADDQ $const_textAt, R11
	MOVOU 0(DI), X8   // the element separator, sixteen times
	MOVOU 16(DI), X9  // the component separator
	MOVOU 32(DI), X10 // the repetition separator (0 when none)
	MOVOU flip<>(SB), X11
	MOVOU below<>(SB), X12
	MOVOU above<>(SB), X13
	XORQ R8, R8 // sep
	XORQ R9, R9 // special
	CMPQ R10, $16
	JB   short
	XORQ CX, CX // the offset of the chunk

loop:
	LEAQ 16(CX), DX
	CMPQ DX, R10
	JA   tail
	MOVOU (SI)(CX*1), X0
	MOVOU X0, (R11)(CX*1)
	CHUNK
	SHLQ CX, AX
	SHLQ CX, BX
	ORQ  AX, R8
	ORQ  BX, R9
	MOVQ DX, CX
	JMP  loop

tail:
	// The last bytes: the sixteen that end the segment, which overlap the chunk
	// before; ORing the same bits twice changes nothing.
	CMPQ CX, R10
	JEQ  done
	LEAQ -16(R10), CX
	MOVOU (SI)(CX*1), X0
	MOVOU X0, (R11)(CX*1)
	CHUNK
	SHLQ CX, AX
	SHLQ CX, BX
	ORQ  AX, R8
	ORQ  BX, R9
	JMP  done

short:
	// Fewer than sixteen bytes: sixteen are read from p when they stay in p's 4 KiB page
	// of memory (the bytes past the segment are dropped from the masks), else the
	// sixteen that end the segment, in the page of its last byte and of p.
	MOVQ SI, AX
	ANDQ $0xfff, AX
	CMPQ AX, $0xff0
	JA   shortEnd
	MOVOU (SI), X0
	MOVOU X0, (R11)
	CHUNK
	MOVQ $1, DX
	MOVQ R10, CX
	SHLQ CX, DX
	DECQ DX
	ANDQ DX, AX
	ANDQ DX, BX
	MOVQ AX, R8
	MOVQ BX, R9
	JMP  done

shortEnd:
	MOVOU -16(SI)(R10*1), X0
	MOVOU X0, -16(R11)(R10*1)
	CHUNK
	MOVQ $16, CX
	SUBQ R10, CX
	SHRQ CX, AX
	SHRQ CX, BX
	MOVQ AX, R8
	MOVQ BX, R9

done:
	MOVQ R8, sep+40(FP)
	MOVQ R9, special+48(FP)
	RET

// Package acks is the acknowledgements stage: it applies the TA1, 999 and 277CA
// files the classify stage recognized to the claims they answer, and puts every
// rejection in front of a person with the field to fix.
//
// One inbound file is applied in one database transaction: each answer is stored
// as an acknowledgement keyed on the file's SHA-256 and the answer's position in it
// (so that a file applied twice changes nothing the second time), the claims move
// (storage.TransitionClaim, caused by ta1, 999, 277ca-clearinghouse or
// 277ca-payer), rejections become work items in the rejection queue (keyed on
// natural ids, so that the same rejection in another file is queued once), and the
// file is marked processed. A file that cannot be parsed is quarantined whole with
// the reason and an exception work item; nothing of it is applied.
//
//   - TA1 (ta1.go): the submission is found by ISA13 at the file's clearinghouse.
//     A (accepted) and E (accepted with errors, noted in the claims' history) move
//     its claims to envelope-accepted; R moves them to envelope-rejected with the
//     TA105 reason in words, one rejection item per claim. TA105 025 (duplicate
//     ISA13) on a file we did send is an exception for a person (probably a double
//     upload), not a rejection of the claims; so is a TA104 that is none of A, E
//     and R: the claims stay where they are.
//   - 999 (ack999.go): per transaction set (AK102 = GS06, AK202 = ST02) accepted
//     claims go to syntax-accepted and rejected ones to syntax-rejected. Each IK3/IK4
//     is traced to the claim, the line and the field of the claim (locate.go); the
//     other claims of a rejected set are told why they were turned back with it
//     (errors in other claims, or outside any claim: the set's header). A group
//     rejected whole (AK901 R, M, W, X) rejects every set in it, whatever their IK5
//     says, and its claims are told the group's reasons (AK905-AK909); a group
//     partially accepted (P) is what each set's IK5 says.
//   - 277CA (ack277.go): per claim (2200D TRN02 = our patient control number) and per
//     line (REF*FJ = our line control number), accepted or rejected, every STC
//     composite decoded into words (edi/codes); the clearinghouse's (NM1*AY) and the
//     payer's (NM1*PR) acknowledgements move the claim to clearinghouse-* or
//     payer-* states. REF*1K, the payer's claim number, is kept on the claim when
//     the claim moves (or is in that state already). A3, A6, A7 and A8 are
//     rejections; A4 (not found) is not: the claim stays where it is, and an
//     exception asks a person to investigate.
//
// An answer that would move a claim where the state table forbids, because the
// claim has moved on already (a 277CA after the 835, a TA1 R after the 999) or is
// there already (the same answer again), is not applied: the move is skipped, no
// rejection is queued (sending a paid claim again would bill it twice), and the
// acknowledgement's detail notes that it came late and was not applied to the
// claim. An acknowledgement of an earlier submission of a claim sent again is
// skipped and noted alike.
//
// Known limitation: a 277CA is taken to answer the submission whose BHT03 its
// 2200B TRN02 carries. Payers often put their own batch number there; such an
// answer is taken to be to the claim's latest submission, even when it answers an
// earlier one (a payer sending an old rejection again after the claim was fixed and
// sent again). Its dates cannot tell: they are days, in the payer's time zone, and
// some payers report the first receipt of a claim for timely filing. The rejection
// items of such answers are keyed on the latest submission and the trace, so that
// the rejection of a claim sent again is queued again, and a person sees it.
//
// The stage registers itself for bus.Acks; it can also be called directly:
//
//	res, err := acks.New(env).Apply(ctx, inboundFileID)
package acks

package storage

import (
	"fmt"
	"slices"
)

// ClaimState is where a claim is in its life (X12-GUIDE section 8). Rejections (the
// claim never reached adjudication: fix it and send it again as new) are kept apart
// from denials (adjudicated: correct it with frequency 7, or appeal).
//
// The billing package has no state machine yet; this one lives here until it does,
// and billing may take it over unchanged.
type ClaimState string

// The claim states.
const (
	StateDraft                 ClaimState = "draft"
	StateValidated             ClaimState = "validated" // internal edits (the scrubber) pass
	StateHeld                  ClaimState = "held"      // scrubber errors: in the rejection queue
	StateBatched               ClaimState = "batched"
	StateTransmitted           ClaimState = "transmitted"
	StateEnvelopeAccepted      ClaimState = "envelope-accepted" // TA1 A or E
	StateEnvelopeRejected      ClaimState = "envelope-rejected" // TA1 R
	StateSyntaxAccepted        ClaimState = "syntax-accepted"   // 999 IK5 A or E
	StateSyntaxRejected        ClaimState = "syntax-rejected"   // 999 IK5 R
	StateClearinghouseAccepted ClaimState = "clearinghouse-accepted"
	StateClearinghouseRejected ClaimState = "clearinghouse-rejected"
	StatePayerAccepted         ClaimState = "payer-accepted"
	StatePayerRejected         ClaimState = "payer-rejected"
	StatePaid                  ClaimState = "paid"
	StatePartiallyPaid         ClaimState = "partially-paid"
	StateDenied                ClaimState = "denied"
	StateForwarded             ClaimState = "forwarded" // CLP02 19-21: the payer sent it on
	StateSecondaryBilled       ClaimState = "secondary-billed"
	StatePatientBilled         ClaimState = "patient-billed"
	StateClosed                ClaimState = "closed" // zero balance
	StateReversed              ClaimState = "reversed"
	StateAppealed              ClaimState = "appealed"
	StateWrittenOff            ClaimState = "written-off"
	StateCorrected             ClaimState = "corrected" // replaced by a frequency 7 claim
	StateVoided                ClaimState = "voided"    // frequency 8 sent

	stateNone ClaimState = "" // before the claim exists
)

// ClaimStates lists every state, in lifecycle order.
var ClaimStates = []ClaimState{
	StateDraft, StateValidated, StateHeld, StateBatched, StateTransmitted,
	StateEnvelopeAccepted, StateEnvelopeRejected, StateSyntaxAccepted, StateSyntaxRejected,
	StateClearinghouseAccepted, StateClearinghouseRejected, StatePayerAccepted, StatePayerRejected,
	StatePaid, StatePartiallyPaid, StateDenied, StateForwarded, StateSecondaryBilled,
	StatePatientBilled, StateClosed, StateReversed, StateAppealed, StateWrittenOff,
	StateCorrected, StateVoided,
}

// Valid reports whether s is one of ClaimStates.
func (s ClaimState) Valid() bool { return slices.Contains(ClaimStates, s) }

// Rejected reports whether the claim was turned back before adjudication.
func (s ClaimState) Rejected() bool {
	switch s {
	case StateEnvelopeRejected, StateSyntaxRejected, StateClearinghouseRejected, StatePayerRejected:
		return true
	}
	return false
}

// Cause is what made a claim change state.
type Cause string

// The causes.
const (
	CauseScrubber           Cause = "scrubber"
	CauseTA1                Cause = "ta1"
	Cause999                Cause = "999"
	Cause277CAClearinghouse Cause = "277ca-clearinghouse"
	Cause277CAPayer         Cause = "277ca-payer"
	Cause835                Cause = "835"
	CausePerson             Cause = "person"
	CauseSystem             Cause = "system" // batching, transmission, timers
)

// Valid reports whether c is a known cause.
func (c Cause) Valid() bool {
	switch c {
	case CauseScrubber, CauseTA1, Cause999, Cause277CAClearinghouse, Cause277CAPayer, Cause835, CausePerson, CauseSystem:
		return true
	}
	return false
}

// Acknowledgement progress, in the order answers normally come. An answer may skip
// steps (no TA1 when the interchange is fine; an 835 before any 277CA), so a claim
// moves from a step to any later one, or to the rejection of any later step.
var ackSteps = []ClaimState{
	StateTransmitted, StateEnvelopeAccepted, StateSyntaxAccepted, StateClearinghouseAccepted, StatePayerAccepted,
}

var rejectionOf = map[ClaimState]ClaimState{
	StateEnvelopeAccepted:      StateEnvelopeRejected,
	StateSyntaxAccepted:        StateSyntaxRejected,
	StateClearinghouseAccepted: StateClearinghouseRejected,
	StatePayerAccepted:         StatePayerRejected,
}

// adjudicated are the states an 835 moves a claim to.
var adjudicated = []ClaimState{StatePaid, StatePartiallyPaid, StateDenied, StateForwarded}

// transitions is the allowed-transition table; see AllowedTransitions.
var transitions = buildTransitions()

func buildTransitions() map[ClaimState][]ClaimState {
	t := map[ClaimState][]ClaimState{
		StateDraft:     {StateValidated, StateHeld, StateVoided},
		StateValidated: {StateBatched, StateHeld, StateDraft, StateVoided},
		StateHeld:      {StateValidated, StateDraft, StateVoided},
		// A batch may be dropped before upload; a claim may also be sent without a
		// separate batching step.
		StateBatched: {StateTransmitted, StateValidated, StateHeld},
		// Rejected claims are fixed and sent again as new claims.
		StateEnvelopeRejected:      {StateHeld, StateValidated, StateDraft, StateVoided},
		StateSyntaxRejected:        {StateHeld, StateValidated, StateDraft, StateVoided},
		StateClearinghouseRejected: {StateHeld, StateValidated, StateDraft, StateVoided},
		StatePayerRejected:         {StateHeld, StateValidated, StateDraft, StateVoided},
		StatePaid: {StateClosed, StateSecondaryBilled, StatePatientBilled, StateReversed, StateAppealed,
			StateWrittenOff, StateCorrected, StateVoided},
		StatePartiallyPaid: {StateClosed, StateSecondaryBilled, StatePatientBilled, StateReversed, StateAppealed,
			StateWrittenOff, StateCorrected, StateVoided},
		StateDenied: {StateAppealed, StateCorrected, StateWrittenOff, StateClosed, StateReversed,
			StateSecondaryBilled, StatePatientBilled, StateVoided},
		// Forwarded (crossover): do not bill the secondary; wait for its 835.
		StateForwarded: {StatePaid, StatePartiallyPaid, StateDenied, StatePatientBilled, StateClosed,
			StateWrittenOff, StateReversed},
		// A secondary claim is batched like a validated one (or held when it fails
		// the coordination-of-benefits edits) and goes through the acknowledgements
		// again from there. Until it is batched, an acknowledgement can only be a late
		// answer to the earlier payer's file: it must not move the claim.
		StateSecondaryBilled: {StateBatched, StateHeld, StateTransmitted, StatePaid, StatePartiallyPaid, StateDenied,
			StateForwarded, StatePatientBilled, StateClosed, StateWrittenOff},
		StatePatientBilled: {StateClosed, StateWrittenOff, StateReversed, StateAppealed},
		StateClosed:        {StateReversed, StateCorrected, StateAppealed, StateVoided},
		// A reversal goes back to adjudicated when the correction comes.
		StateReversed: {StatePaid, StatePartiallyPaid, StateDenied, StateForwarded, StateCorrected, StateClosed,
			StateAppealed, StateWrittenOff},
		StateAppealed: {StatePaid, StatePartiallyPaid, StateDenied, StateClosed, StateWrittenOff,
			StateSecondaryBilled, StatePatientBilled},
		StateWrittenOff: {StateClosed, StateReversed},
		// A replacement (frequency 7) goes through the flow again.
		StateCorrected: {StateValidated, StateHeld, StateBatched, StateTransmitted, StateVoided},
		StateVoided:    nil,
	}
	for i, s := range ackSteps {
		for _, later := range ackSteps[i+1:] {
			t[s] = append(t[s], later, rejectionOf[later])
		}
		if s != StateTransmitted {
			t[s] = append(t[s], adjudicated...)
		}
	}
	// An 835 may come before any acknowledgement.
	t[StateTransmitted] = append(t[StateTransmitted], adjudicated...)
	return t
}

// AllowedTransitions returns the states a claim in state from may move to.
func AllowedTransitions(from ClaimState) []ClaimState { return slices.Clone(transitions[from]) }

// CanTransition reports whether a claim may move from one state to another. A new
// claim (from "") may start in draft, validated or held.
func CanTransition(from, to ClaimState) bool {
	if from == stateNone {
		return to == StateDraft || to == StateValidated || to == StateHeld
	}
	return slices.Contains(transitions[from], to)
}

func checkTransition(from, to ClaimState) error {
	if !to.Valid() {
		return fmt.Errorf("%w: unknown claim state %q", ErrInvalid, to)
	}
	if !CanTransition(from, to) {
		return fmt.Errorf("%w: %s -> %s", ErrInvalidTransition, from, to)
	}
	return nil
}

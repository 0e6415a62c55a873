package e2e

import (
	"testing"

	"github.com/claimflow/claimflow/connectors/simulator"
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/storage"
)

// earlyAnswer names what TestAnswersBeforeUploadRecorded guards against.
const earlyAnswer = "answers to a file fetched before its upload was recorded (a worker died between the two, or a " +
	"scheduled poll ran between them) must wait for the record, not be skipped: a skipped answer is never applied " +
	"again, and its claims wait for good"

// TestAnswersBeforeUploadRecorded: the clearinghouse took a file and answered it
// (999, 277CAs, 835) before claimflow recorded the upload, as when the worker
// that uploaded it died before recording it, or a scheduled poll ran in between.
// The answers are fetched and handed to their stages while the claims are still
// batched: the stages must not apply them half (the claims cannot move out of
// batched) nor drop them, but fail so that they are delivered again; once the
// upload is recorded, the same answers move every claim to its end.
func TestAnswersBeforeUploadRecorded(t *testing.T) {
	t.Parallel()
	o, ids := newInOrderUnsent(t, 6)
	for _, f := range o.files {
		if err := o.try(f); err == nil {
			t.Errorf("%s %s applied while its claims were batched (%v); want an error that delivers it again (%s)",
				f.Kind, f.Name, o.states(ids), earlyAnswer)
		}
	}
	if got := o.states(ids); got[storage.StateBatched] != len(ids) {
		t.Fatalf("early answers moved claims: %v, want all %d batched", got, len(ids))
	}
	if _, err := pipeline.SubmitPending(o.ctx, o.env, simName); err != nil {
		t.Fatal(err)
	}
	o.apply(is("ta1", "999"))
	o.apply(clearinghouse277)
	o.apply(payer277)
	o.apply(is("835"))
	got := o.states(ids)
	if got[storage.StatePaid]+got[storage.StatePartiallyPaid]+got[storage.StateDenied] != len(ids) {
		t.Errorf("after the upload was recorded and the answers delivered again, claims %v; want all adjudicated (%s)", got, earlyAnswer)
	}
}

// newInOrderUnsent is newInOrder whose file the clearinghouse took and answered
// without claimflow recording the upload: the claims stay batched and the
// submission created while the answers are fetched and classified.
func newInOrderUnsent(t *testing.T, n int) (*inOrder, []int64) {
	t.Helper()
	o, ids := newInOrderWith(t, n, func(o *inOrder) {
		files, err := pipeline.Batch(o.ctx, o.env, simName)
		if err != nil || len(files) != 1 {
			t.Fatalf("batch: %+v (%v)", files, err)
		}
		data, err := o.store.SubmissionFile(o.ctx, files[0].SubmissionID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.sim.Process(files[0].Name, data); err != nil {
			t.Fatal(err)
		}
		if _, err := o.sim.Flush(simulator.StageRemittance); err != nil {
			t.Fatal(err)
		}
		o.fetchAndClassify()
	})
	return o, ids
}

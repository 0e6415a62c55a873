package pipeline

import (
	"testing"
	"time"
)

// TestFetchTurnFoldsRequests: while a fetch runs, one more request waits for its
// turn and runs after it; a request made while one waits is folded into it, since
// the waiting one lists the folders after it came.
func TestFetchTurnFoldsRequests(t *testing.T) {
	var turn fetchTurn
	releaseFirst, ok := turn.take()
	if !ok {
		t.Fatal("the first request did not get the turn")
	}
	second := make(chan func())
	go func() {
		release, ok := turn.take()
		if !ok {
			close(second)
			return
		}
		second <- release
	}()
	// Wait until the second request is the one waiting.
	deadline := time.Now().Add(10 * time.Second)
	for !turn.waiting.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the second request never waited for its turn")
		}
		time.Sleep(time.Millisecond)
	}
	if _, ok := turn.take(); ok {
		t.Fatal("a third request got a turn while the second waited; want it folded")
	}
	select {
	case <-second:
		t.Fatal("the second request ran while the first held the turn")
	case <-time.After(50 * time.Millisecond):
	}
	releaseFirst()
	release, ok := <-second
	if !ok {
		t.Fatal("the second request was folded, though none waited before it")
	}
	if turn.waiting.Load() {
		t.Error("still marked waiting after the second request got its turn")
	}
	// A request made while the second runs waits again rather than being folded.
	third := make(chan bool)
	go func() {
		r, ok := turn.take()
		if ok {
			r()
		}
		third <- ok
	}()
	release()
	if !<-third {
		t.Error("a request after the waiting one got its turn was folded")
	}
}

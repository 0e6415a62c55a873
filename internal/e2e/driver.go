package e2e

import (
	"github.com/claimflow/claimflow/pipeline"
	"github.com/claimflow/claimflow/storage"
)

// Driver is pipeline.Driver, the loop driver claimflow demo runs too.
type Driver = pipeline.Driver

// Result is what Driver.Run did.
type Result = pipeline.DriveResult

// pending reports whether claims in state s are still in flight.
func pending(s storage.ClaimState) bool {
	return storage.Backlog{ByState: map[storage.ClaimState]int64{s: 1}}.InFlight() == 1
}

// Package all imports every pipeline stage, so that a program that imports it
// (claimflow serve, worker and demo) can run any of them:
//
//	import _ "github.com/claimflow/claimflow/pipeline/all"
//
// The front-half stages (scrub, batch, submit, fetch, classify) live in package
// pipeline itself; acks, remit and secondary in their own packages.
package all

import (
	_ "github.com/claimflow/claimflow/pipeline/acks"      // TA1, 999, 277CA
	_ "github.com/claimflow/claimflow/pipeline/remit"     // 835 posting
	_ "github.com/claimflow/claimflow/pipeline/secondary" // COB claims to the next payer
)

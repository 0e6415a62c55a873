package pipeline

import "github.com/claimflow/claimflow/pipeline/bus"

// SetBeforeUploadRecord sets the restart test's crash point: f runs after a file
// reached the clearinghouse and before its upload is recorded.
func SetBeforeUploadRecord(env *Env, f func(submissionID int64)) { env.beforeUploadRecord = f }

// SetAfterRead sets what runs when a stage that reads its claims outside its
// transaction (batch, scrub) has read them, before the transaction begins.
func SetAfterRead(env *Env, f func(s bus.Stage)) { env.afterRead = f }

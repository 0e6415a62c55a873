package pipeline

// SetBeforeUploadRecord sets the restart test's crash point: f runs after a file
// reached the clearinghouse and before its upload is recorded.
func SetBeforeUploadRecord(env *Env, f func(submissionID int64)) { env.beforeUploadRecord = f }

package secondary

// SetBeforeWrite makes the stage call f between planning ahead and its write
// transaction.
func SetBeforeWrite(s *Stage, f func()) { s.beforeWrite = f }

package remit

// SetPreReadHook makes p call f after reading a group's claims outside its
// transaction (SQLite) and before the transaction.
func SetPreReadHook(p *Poster, f func()) { p.preReadHook = f }

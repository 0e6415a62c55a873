package acks

import "context"

// SetPlanned makes the stage run fn between each file's plan and its write
// transaction: tests change claims there.
func SetPlanned(s *Stage, fn func(ctx context.Context, inboundID int64)) { s.planned = fn }

// Command claimflow is the medical-billing EDI pipeline: it builds and checks X12
// claims, sends them to clearinghouses, and posts what comes back. Run
// `claimflow --help` for the commands.
package main

import (
	"fmt"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run executes the command line and returns the exit status: 0 success, 1 when the
// command found problems in its input (validation errors), 2 when it could not run.
func run(args []string) int {
	root := newRootCommand()
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		if f, ok := err.(findings); ok {
			_ = f
			return 1
		}
		fmt.Fprintln(os.Stderr, "claimflow:", err)
		return 2
	}
	return 0
}

// findings is returned by a command that ran and found problems in its input; the
// problems were already printed.
type findings int

func (f findings) Error() string { return fmt.Sprintf("%d problems found", int(f)) }

// Command claimflow is the medical-billing EDI pipeline: it builds and checks X12
// claims, sends them to clearinghouses, and posts what comes back. Run
// `claimflow --help` for the commands.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit status: 0 success, 1 when the
// command found problems in its input (validation errors), 2 when it could not run.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	if err := root.Execute(); err != nil {
		var f findings
		if errors.As(err, &f) {
			return 1
		}
		fmt.Fprintln(stderr, "claimflow:", err)
		return 2
	}
	return 0
}

// findings is returned by a command that ran and found problems in its input; the
// problems were already printed.
type findings int

func (f findings) Error() string { return fmt.Sprintf("%d problems found", int(f)) }

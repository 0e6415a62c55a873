package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"

	"github.com/spf13/pflag"
)

// demoProfiles are the demo's hidden profiling flags: where to write the CPU, heap,
// block and mutex profiles of a run (go tool pprof reads them), and an execution
// trace (go tool trace; -pprof=sched tells where goroutines waited for a core).
type demoProfiles struct {
	cpu, mem, block, mutex, trace string
}

func (p *demoProfiles) flags(fl *pflag.FlagSet) {
	fl.StringVar(&p.cpu, "cpuprofile", "", "write a CPU profile of the run to this file")
	fl.StringVar(&p.mem, "memprofile", "", "write a heap profile at the end of the run to this file")
	fl.StringVar(&p.block, "blockprofile", "", "write a profile of where goroutines waited to this file")
	fl.StringVar(&p.mutex, "mutexprofile", "", "write a profile of mutex contention to this file")
	fl.StringVar(&p.trace, "trace", "", "write an execution trace of the run to this file")
	for _, name := range []string{"cpuprofile", "memprofile", "blockprofile", "mutexprofile", "trace"} {
		_ = fl.MarkHidden(name)
	}
}

// start starts the profiles asked for and returns what writes them at the end.
func (p *demoProfiles) start() (stop func() error, err error) {
	var cpu *os.File
	if p.cpu != "" {
		if cpu, err = os.Create(p.cpu); err != nil {
			return nil, fmt.Errorf("creating the CPU profile: %w", err)
		}
		if err := pprof.StartCPUProfile(cpu); err != nil {
			cpu.Close()
			return nil, fmt.Errorf("starting the CPU profile: %w", err)
		}
	}
	var tr *os.File
	if p.trace != "" {
		if tr, err = os.Create(p.trace); err != nil {
			return nil, errors.Join(fmt.Errorf("creating the trace: %w", err), stopCPU(cpu))
		}
		if err := trace.Start(tr); err != nil {
			tr.Close()
			return nil, errors.Join(fmt.Errorf("starting the trace: %w", err), stopCPU(cpu))
		}
	}
	if p.block != "" {
		runtime.SetBlockProfileRate(int(1e6)) // one sample per millisecond blocked
	}
	if p.mutex != "" {
		runtime.SetMutexProfileFraction(10)
	}
	return func() error {
		errs := []error{stopCPU(cpu)}
		if tr != nil {
			trace.Stop()
			errs = append(errs, tr.Close())
		}
		if p.mem != "" {
			runtime.GC()
			errs = append(errs, writeProfile("heap", p.mem))
		}
		if p.block != "" {
			errs = append(errs, writeProfile("block", p.block))
		}
		if p.mutex != "" {
			errs = append(errs, writeProfile("mutex", p.mutex))
		}
		return errors.Join(errs...)
	}, nil
}

// stopCPU stops the CPU profile written to f, if any, and closes f.
func stopCPU(f *os.File) error {
	if f == nil {
		return nil
	}
	pprof.StopCPUProfile()
	return f.Close()
}

// writeProfile writes the named runtime profile to path.
func writeProfile(name, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating the %s profile: %w", name, err)
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("writing the %s profile: %w", name, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the %s profile: %w", name, err)
	}
	return nil
}

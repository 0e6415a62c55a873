package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"

	"github.com/spf13/pflag"
)

// demoProfiles are the demo's hidden profiling flags: where to write the CPU, heap,
// block and mutex profiles of a run (go tool pprof reads them).
type demoProfiles struct {
	cpu, mem, block, mutex string
}

func (p *demoProfiles) flags(fl *pflag.FlagSet) {
	fl.StringVar(&p.cpu, "cpuprofile", "", "write a CPU profile of the run to this file")
	fl.StringVar(&p.mem, "memprofile", "", "write a heap profile at the end of the run to this file")
	fl.StringVar(&p.block, "blockprofile", "", "write a profile of where goroutines waited to this file")
	fl.StringVar(&p.mutex, "mutexprofile", "", "write a profile of mutex contention to this file")
	for _, name := range []string{"cpuprofile", "memprofile", "blockprofile", "mutexprofile"} {
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
	if p.block != "" {
		runtime.SetBlockProfileRate(int(1e6)) // one sample per millisecond blocked
	}
	if p.mutex != "" {
		runtime.SetMutexProfileFraction(10)
	}
	return func() error {
		var errs []error
		if cpu != nil {
			pprof.StopCPUProfile()
			errs = append(errs, cpu.Close())
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

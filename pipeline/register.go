package pipeline

import (
	"fmt"
	"slices"
	"sync"

	"github.com/claimflow/claimflow/pipeline/bus"
)

// A Factory makes a stage's handler for an env.
type Factory func(env *Env) (bus.Handler, error)

var factories struct {
	sync.Mutex
	m map[bus.Stage]Factory
}

// Register makes f the factory of stage s. Each stage registers itself from an init
// function in its own package, so that the list of stages lives with the stages;
// a program runs the stages whose packages it imports (pipeline/all imports every one).
func Register(s bus.Stage, f Factory) {
	factories.Lock()
	defer factories.Unlock()
	if factories.m == nil {
		factories.m = map[bus.Stage]Factory{}
	}
	if _, dup := factories.m[s]; dup {
		panic("pipeline: stage " + string(s) + " registered twice")
	}
	factories.m[s] = f
}

// Available returns the stages this build has handlers for, in flow order.
func Available() []bus.Stage {
	factories.Lock()
	defer factories.Unlock()
	var list []bus.Stage
	for _, s := range bus.Stages() {
		if _, ok := factories.m[s]; ok {
			list = append(list, s)
		}
	}
	return list
}

// Handler makes stage s's handler for env.
func Handler(env *Env, s bus.Stage) (bus.Handler, error) {
	factories.Lock()
	f, ok := factories.m[s]
	factories.Unlock()
	if !ok {
		return nil, fmt.Errorf("pipeline: no handler for stage %s in this build (have %v)", s, Available())
	}
	h, err := f(env)
	if err != nil {
		return nil, fmt.Errorf("starting stage %s: %w", s, err)
	}
	return h, nil
}

// RegisterAll registers on r the handlers of the stages named (every available
// stage when none is), with the same consume options for each.
func RegisterAll(r *Runner, env *Env, stages []bus.Stage, opts ...bus.ConsumeOption) error {
	if len(stages) == 0 {
		stages = Available()
	}
	for _, s := range stages {
		if !slices.Contains(bus.Stages(), s) {
			return fmt.Errorf("pipeline: %w: %q", bus.ErrUnknownStage, s)
		}
		h, err := Handler(env, s)
		if err != nil {
			return err
		}
		r.Handle(s, h, opts...)
	}
	return nil
}

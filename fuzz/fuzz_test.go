// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import (
	"testing"
	"time"

	"pagesim/prog"
)

// FuzzProgram runs decoded programs on fresh machines under the random
// scheduler. Kernel reports (WARN, BUG, bad page state, lost data, broken
// invariants) are the model's outcomes, logged; the test fails only when
// pagesim itself fails: a program that validates but does not run, or a
// Go panic or internal error in the model.
func FuzzProgram(f *testing.F) {
	for _, seed := range [][]byte{
		{},
		{1, 0, 0, 0, 0, 0, 0, 0},
		{2, 0, 0, 0, 0, 0, 0, 0, 7},
		{3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5},
		{0xff, 0xfe, 0xfd, 0xfc, 0xfb, 0xfa, 0xf9, 0xf8, 1, 2, 3, 4, 5, 6, 7, 8},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := Decode(data, FuzzConfig)
		res, err, hung := runWithin(p, hangTimeout)
		if hung {
			t.Fatalf("pagesim hang: no result after %v of real time\n%s", hangTimeout, p)
		}
		if err != nil {
			t.Fatalf("a valid program does not run: %v\n%s", err, p)
		}
		title, bad := Check(res)
		if res.Kernel.Err != nil {
			t.Fatalf("pagesim error: %v\n%s", res.Kernel.Err, p)
		}
		if bad {
			t.Logf("%s\n%s", title, p)
		}
	})
}

// hangTimeout is how long one run may take in real time. A run is
// milliseconds; one that takes seconds is a task spinning without
// reaching a sleep point, which the virtual clock cannot see.
const hangTimeout = 5 * time.Second

// runWithin runs p, giving up after d of real time. A run that hangs is
// left running on its goroutine: the model has no way to stop a task
// that never yields, and the test fails anyway.
func runWithin(p *prog.Program, d time.Duration) (*prog.Result, error, bool) {
	type out struct {
		res *prog.Result
		err error
	}
	done := make(chan out, 1)
	go func() {
		res, err := prog.Run(p, prog.Options{})
		done <- out{res, err}
	}()
	select {
	case o := <-done:
		return o.res, o.err, false
	case <-time.After(d):
		return nil, nil, true
	}
}

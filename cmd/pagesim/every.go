// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"fmt"
	"io"
	"strings"

	"pagesim/prog"
)

// everyCheck is --check=every: the invariant checker runs after each call
// of a program returns, when the machine is quiet (prog.CallEvent.Quiet),
// and the run stops at the first call after which an invariant is broken.
//
// A call that returns while another task is inside the kernel (stopped in
// a system call with pages isolated or locked, or kswapd or a flusher at
// work) is not checked: the invariants need not hold mid-operation, and a
// report there would be false. Its check waits for the next call that
// returns on a quiet machine; a violation found then may come from any
// call since the last clean check, and the report says which those are.
type everyCheck struct {
	// checks counts the checks run after calls; deferred the calls
	// after which the machine was not quiet.
	checks, deferred int
	// sinceClean counts the calls returned since the last clean check
	// (or the start); lastClean is that call, nil before the first.
	sinceClean int
	lastClean  *callRef
	// broken is the call after which the checker found inv.
	broken *callRef
	inv    []string
}

// callRef names a call of the program in reports.
type callRef struct {
	Line  int    `json:"line"`
	Task  string `json:"task"`
	PID   int    `json:"pid"`
	Trace string `json:"trace"`
	// Unchecked counts the calls since the last clean check that
	// returned while another task was in the kernel (0: the violation
	// came from this call).
	Unchecked int `json:"unchecked_calls_before,omitempty"`
}

func newCallRef(ev *prog.CallEvent) *callRef {
	return &callRef{Line: ev.Call.Pos.Line, Task: ev.Call.Task, PID: ev.Result.PID, Trace: ev.Trace}
}

// afterCall is the prog.Options.AfterCall hook: it reports whether to
// stop the run.
func (e *everyCheck) afterCall(ev *prog.CallEvent) bool {
	e.sinceClean++
	if !ev.Quiet {
		e.deferred++
		return false
	}
	e.checks++
	inv := ev.Machine.MM.CheckInvariants()
	if len(inv) == 0 {
		e.lastClean, e.sinceClean = newCallRef(ev), 0
		return false
	}
	e.broken, e.inv = newCallRef(ev), inv
	e.broken.Unchecked = e.sinceClean - 1
	return true
}

// where says which call broke the invariants, for the report on stderr:
// its line, task and trace line, and the window it may have come from.
func (e *everyCheck) where(path string) string {
	b := e.broken
	var w strings.Builder
	fmt.Fprintf(&w, "after the call at %s:%d (task %s, pid %d):\n  %s\n", path, b.Line, b.Task, b.PID, b.Trace)
	if b.Unchecked > 0 {
		if e.lastClean != nil {
			fmt.Fprintf(&w, "  (or one of the %d calls before it, which returned while another task was in the kernel;\n  the last clean check was after line %d: %s)\n", b.Unchecked, e.lastClean.Line, e.lastClean.Trace)
		} else {
			fmt.Fprintf(&w, "  (or one of the %d calls before it, which returned while another task was in the kernel;\n  no check ran before it)\n", b.Unchecked)
		}
	}
	return w.String()
}

// report writes the stop on stderr.
func (e *everyCheck) report(path string, w io.Writer) {
	fmt.Fprintf(w, "pagesim: --check=every: invariants broken %spagesim: the run stopped there\n", e.where(path))
}

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
// call since the last clean check, and the report lists those.
type everyCheck struct {
	// checks counts the checks run after calls; deferred the calls
	// after which the machine was not quiet.
	checks, deferred int
	// unchecked holds the calls returned since the last check;
	// lastClean is the call after which the last check was clean, nil
	// before the first.
	unchecked []*callRef
	lastClean *callRef
	// broken is the call after which the checker found inv. atEnd says
	// instead that only the check at the end of the run found it (no
	// call returned on a quiet machine after the violation): it may come
	// from any call in unchecked.
	broken *callRef
	atEnd  bool
	inv    []string
}

// maxUncheckedShown bounds the unchecked calls a report lists.
const maxUncheckedShown = 20

// callRef names a call of the program in reports.
type callRef struct {
	Line  int    `json:"line"`
	Task  string `json:"task"`
	PID   int    `json:"pid"`
	Trace string `json:"trace"`
	// Unchecked lists the calls since the last clean check that returned
	// while another task was in the kernel, in the order they returned:
	// the violation may come from one of them (none: from this call).
	Unchecked []*callRef `json:"unchecked_calls_before,omitempty"`
}

func newCallRef(ev *prog.CallEvent) *callRef {
	return &callRef{Line: ev.Call.Pos.Line, Task: ev.Call.Task, PID: ev.Result.PID, Trace: ev.Trace}
}

// afterCall is the prog.Options.AfterCall hook: it reports whether to
// stop the run.
func (e *everyCheck) afterCall(ev *prog.CallEvent) bool {
	if !ev.Quiet {
		e.deferred++
		e.unchecked = append(e.unchecked, newCallRef(ev))
		return false
	}
	e.checks++
	inv := ev.Machine.MM.CheckInvariants()
	if len(inv) == 0 {
		e.lastClean, e.unchecked = newCallRef(ev), nil
		return false
	}
	e.broken, e.inv = newCallRef(ev), inv
	e.broken.Unchecked = e.unchecked
	return true
}

// endOfRun takes the end-of-run check's findings, for a run no
// after-call check stopped: the end is the last quiet point, and the
// violation comes from one of the calls unchecked since the last clean
// check (or from what ran after the last call returned).
func (e *everyCheck) endOfRun(inv []string) {
	if e.broken != nil || len(inv) == 0 {
		return
	}
	e.atEnd, e.inv = true, inv
}

// found reports whether a check found the invariants broken.
func (e *everyCheck) found() bool { return e.broken != nil || e.atEnd }

// report writes on w which call broke the invariants: its line, task and
// trace line, and the unchecked calls it may have come from.
func (e *everyCheck) report(path string, w io.Writer) {
	var s strings.Builder
	unchecked := e.unchecked
	if e.atEnd {
		fmt.Fprintf(&s, "pagesim: --check=every: invariants broken at the end of the run, found by no check after a call\n")
	} else {
		b := e.broken
		unchecked = b.Unchecked
		fmt.Fprintf(&s, "pagesim: --check=every: invariants broken after the call at %s:%d (task %s, pid %d):\n  %s\n", path, b.Line, b.Task, b.PID, b.Trace)
	}
	if n := len(unchecked); n > 0 {
		if e.atEnd {
			fmt.Fprintf(&s, "from one of the %d calls since the last clean check, unchecked (they returned while another task was in the kernel):\n", n)
		} else if n == 1 {
			fmt.Fprintf(&s, "or after the call before it, unchecked (it returned while another task was in the kernel):\n")
		} else {
			fmt.Fprintf(&s, "or after one of the %d calls before it, unchecked (they returned while another task was in the kernel):\n", n)
		}
		shown := unchecked
		if n > maxUncheckedShown {
			fmt.Fprintf(&s, "  ... %d more\n", n-maxUncheckedShown)
			shown = shown[n-maxUncheckedShown:]
		}
		for _, c := range shown {
			fmt.Fprintf(&s, "  %s:%d: %s\n", path, c.Line, c.Trace)
		}
		if e.lastClean != nil {
			fmt.Fprintf(&s, "the last clean check was after %s:%d: %s\n", path, e.lastClean.Line, e.lastClean.Trace)
		} else {
			fmt.Fprintf(&s, "no check ran before\n")
		}
	}
	if !e.atEnd {
		fmt.Fprintf(&s, "pagesim: the run stopped there\n")
	}
	io.WriteString(w, s.String())
}

// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"pagesim/kernel"
	"pagesim/sim"
)

// The progress line: on a terminal, a run that takes more than a second of
// host time shows where it is (virtual time, calls done, tasks alive) on
// one line of stderr, redrawn in place a few times a second and erased
// when the run ends.
//
// The machine is read only inside the simulation: the scheduler calls
// tick between steps (sim.Scheduler.SetTick), and tick looks at the host
// clock every progressSwitches task switches; in a program run it also
// looks after each call returns. Reading the virtual clock
// from another goroutine, on a timer, would be a data race.
const (
	progressDelay    = time.Second            // no line for runs shorter than this
	progressInterval = 250 * time.Millisecond // at most 4 redraws a second
	progressSwitches = 256                    // how often tick looks at the host clock
)

// Injected by tests: whether a writer is a terminal, and the host clock.
var (
	isTerminal = func(w io.Writer) bool {
		f, ok := w.(*os.File)
		if !ok {
			return false
		}
		fi, err := f.Stat()
		return err == nil && fi.Mode()&os.ModeCharDevice != 0
	}
	hostNow = time.Now
)

// progress draws the progress line of one run on w.
type progress struct {
	w     io.Writer
	now   func() time.Time
	start time.Time
	last  time.Time // when the line was last drawn
	width int       // the length of the line on screen, 0 for none

	m *kernel.Machine
	// total is the program's calls (0 for a run without a program);
	// done counts those that have returned.
	total, done int
}

// newProgress returns the progress line for a run starting now, or nil
// when w is not a terminal.
func newProgress(w io.Writer, totalCalls int) *progress {
	if !isTerminal(w) {
		return nil
	}
	return &progress{w: w, now: hostNow, start: hostNow(), total: totalCalls}
}

// attach hooks the line to a booted machine's scheduler.
func (p *progress) attach(m *kernel.Machine) {
	if p == nil {
		return
	}
	p.m = m
	m.Sched.SetTick(progressSwitches, p.tick)
}

// callDone counts a call that has returned (prog.Options.AfterCall,
// which also runs inside the simulation), and redraws the line if it is
// due: a program whose calls are slow for what they switch (under
// --check=every) still gets its line.
func (p *progress) callDone(done int) {
	if p != nil {
		p.done = done
		p.tick()
	}
}

// tick runs inside the simulation, between steps: it redraws the line if
// the run has lasted long enough and the last redraw is old enough.
func (p *progress) tick() {
	t := p.now()
	if t.Sub(p.start) < progressDelay || p.width > 0 && t.Sub(p.last) < progressInterval {
		return
	}
	p.last = t
	p.draw(p.line())
}

// line is the text of the progress line.
func (p *progress) line() string {
	alive := 0
	for _, t := range p.m.Sched.Tasks() {
		if t.Flags&sim.PF_KTHREAD == 0 {
			alive++
		}
	}
	ns := p.m.Clock.Now()
	s := fmt.Sprintf("pagesim: virtual time %d.%06ds", ns/1e9, ns%1e9/1e3)
	if p.total > 0 {
		s += fmt.Sprintf(", calls %d/%d", p.done, p.total)
	}
	return s + fmt.Sprintf(", tasks %d", alive)
}

// draw puts s in place of the line on screen.
func (p *progress) draw(s string) {
	pad := ""
	if n := p.width - len(s); n > 0 {
		pad = strings.Repeat(" ", n)
	}
	fmt.Fprintf(p.w, "\r%s%s", s, pad)
	p.width = len(s)
}

// finish erases the line, if one was drawn, and unhooks it: what the run
// prints next starts at the beginning of an empty line.
func (p *progress) finish() {
	if p == nil {
		return
	}
	if p.m != nil {
		p.m.Sched.SetTick(0, nil)
	}
	if p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
		p.width = 0
	}
}

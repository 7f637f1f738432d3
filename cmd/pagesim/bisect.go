// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"pagesim/examples"
	"pagesim/kernel"
	"pagesim/prog"
)

// cmdBisect is 'pagesim bisect': run a reproducer (a program file, or a
// built-in example) at every step of the modeled history
// (kernel.History, in upstream commit order) and name the first commit at
// which it reports, and the first one after that at which that report is
// gone. The history is four steps long, so every step is run: a binary
// search would save nothing and could miss a bug that comes and goes.
func cmdBisect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bisect", flag.ContinueOnError)
	fs.SetOutput(stderr)
	example := fs.String("example", "", "bisect a built-in example (see 'pagesim examples') instead of a program file")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var run func(edits []string) (string, error)
	switch {
	case *example != "" && fs.NArg() == 0:
		if ex, err := kernel.LookupExample(*example); err == nil {
			run = func(edits []string) (string, error) { return bisectExample(ex, edits) }
		} else if e, ok := examples.Lookup(*example); ok {
			p, err := prog.Parse(e.Name+".prog", e.Source)
			if err != nil {
				fmt.Fprintln(stderr, err)
				return 2
			}
			run = func(edits []string) (string, error) { return bisectProgram(p, edits) }
		} else {
			fmt.Fprintf(stderr, "pagesim bisect: %v\n", err)
			return 2
		}
	case *example == "" && fs.NArg() == 1:
		src, err := os.ReadFile(fs.Arg(0))
		if err != nil {
			fmt.Fprintf(stderr, "pagesim bisect: %v\n", err)
			return 2
		}
		p, err := prog.Parse(fs.Arg(0), src)
		if err != nil {
			fmt.Fprintln(stderr, err)
			return 2
		}
		run = func(edits []string) (string, error) { return bisectProgram(p, edits) }
	default:
		fmt.Fprintf(stderr, "usage: pagesim bisect PROGRAM | pagesim bisect --example NAME\n")
		return 2
	}

	var firstBad, firstFixed *kernel.HistoryStep
	badTitle := ""
	for _, step := range kernel.History() {
		title, err := run(step.Edits())
		if err != nil {
			fmt.Fprintf(stderr, "pagesim bisect: %v\n", err)
			return 2
		}
		name := "v3.15 (start)"
		if step.Commit.ID != "" {
			name = step.Commit.ID
		}
		shown := title
		if shown == "" {
			shown = "clean"
		}
		fmt.Fprintf(stdout, "%-24s %s\n", name, shown)
		switch {
		case firstBad == nil && title != "":
			s := step
			firstBad, badTitle = &s, title
		case firstBad != nil && firstFixed == nil && title != badTitle:
			s := step
			firstFixed = &s
		}
	}
	if firstBad == nil {
		fmt.Fprintf(stdout, "no report at any modeled commit\n")
		return 1
	}
	describe := func(s *kernel.HistoryStep) string {
		if s.Commit.ID == "" {
			return "v3.15, the start of the modeled history (the bug is older)"
		}
		return fmt.Sprintf("%s %s (%s)", s.Commit.ID, s.Commit.Title, s.Commit.Version)
	}
	fmt.Fprintf(stdout, "first bad commit: %s\n", describe(firstBad))
	if firstFixed != nil {
		fmt.Fprintf(stdout, "first fixed commit: %s\n", describe(firstFixed))
	} else {
		fmt.Fprintf(stdout, "not fixed at any later modeled commit\n")
	}
	return 0
}

// bisectExample runs a built-in example with the given patch edits on
// v3.16 and returns its report title ("" when clean).
func bisectExample(ex *kernel.Example, edits []string) (string, error) {
	cfg := ex.Config
	cfg.Kernel, cfg.Patches = kernel.DefaultKernel, edits
	m, err := kernel.Boot(cfg)
	if err != nil {
		return "", err
	}
	defer m.Close()
	if ex.Workload != nil {
		ex.Workload(m)
	}
	res := m.Run(ex.IdleNS)
	if res.Err != nil {
		return "", res.Err
	}
	var inv []string
	if res.Oops == nil {
		inv = m.MM.CheckInvariants()
	}
	return reportTitle(m.Log.String(), inv, m.DataIntegrityErrors), nil
}

// bisectProgram runs a program with the given patch edits on v3.16 (the
// header's kernel is replaced) and returns its report title.
func bisectProgram(p *prog.Program, edits []string) (string, error) {
	res, err := prog.Run(p, prog.Options{Override: func(c *kernel.Config) {
		c.Kernel, c.Patches = kernel.DefaultKernel, edits
	}})
	if err != nil {
		return "", err
	}
	if res.Kernel.Err != nil {
		return "", res.Kernel.Err
	}
	return reportTitle(res.Machine.Log.String(), res.Invariants, res.Machine.DataIntegrityErrors), nil
}

var (
	warnAt  = regexp.MustCompile(`^WARNING: CPU: \d+ PID: \d+ at \S+ ([A-Za-z0-9_.]+)\+`)
	numbers = regexp.MustCompile(`0x[0-9a-f]+|\d+`)
)

// reportTitle names a run's first report the way syzkaller titles crashes:
// "WARNING in xfs_vm_writepage", "BUG: Bad page state", then an invariant
// violation with its numbers blanked, then "data integrity". "" is clean.
func reportTitle(log string, inv []string, dataErrors int) string {
	if r := logReports(strings.Split(log, "\n")); len(r) > 0 {
		if m := warnAt.FindStringSubmatch(r[0]); m != nil {
			return "WARNING in " + m[1]
		}
		if i := strings.Index(r[0], " in process "); i >= 0 {
			return r[0][:i]
		}
		return numbers.ReplaceAllString(r[0], "N")
	}
	if len(inv) > 0 {
		return "invariant: " + numbers.ReplaceAllString(inv[0], "N")
	}
	if dataErrors > 0 {
		return "data integrity"
	}
	return ""
}

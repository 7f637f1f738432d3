// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"runtime/debug"
	"time"

	"pagesim/fuzz"
	"pagesim/kernel"
	"pagesim/prog"
)

// cmdFuzz is 'pagesim fuzz': a coverage-guided campaign (fuzz.RunCampaign)
// on one modeled kernel. Progress goes to stderr (redrawn in place on a
// terminal), crashes and the summary to stdout. Exit status 1 when the
// campaign found a crash, 0 when it found none.
func cmdFuzz(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fuzz", flag.ContinueOnError)
	fs.SetOutput(stderr)
	kern := fs.String("kernel", kernel.DefaultConfig().Kernel, "the modeled kernel to fuzz (see 'pagesim kernels')")
	workdir := fs.String("workdir", "", "keep the corpus and crashes here, and resume from what is there")
	dur := fs.Duration("time", 0, "how long to run (default: until interrupted)")
	procs := fs.Int("procs", runtime.NumCPU(), "parallel workers")
	seed := fs.Int64("seed", 1, "the campaign's seed")
	calls := fs.Int("calls", 600, "calls in a generated program (long programs find deep bugs sooner; the exec rate is quoted at --calls 20)")
	maxMem := sizeFlag{v: new(uint64)}
	*maxMem.v = fuzz.FuzzConfig.MaxMem
	fs.Var(maxMem, "max-mem", "the largest machine a generated program asks for (64M, 128M or 256M)")
	until := fs.String("until", "", "stop at the first crash whose title matches this regular expression, and print the time it took")
	noMin := fs.Bool("no-minimize", false, "save crashes without minimizing them")
	pageState := fs.Bool("page-state", false, "add the generic page-state signal: each page-handling decision point together with the state of its page (docs/fuzzing.md)")
	execs := fs.Uint64("execs", 0, "stop after this many programs (with --procs 1, a campaign that repeats exactly)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 0 {
		fmt.Fprintf(stderr, "pagesim fuzz: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if _, err := kernel.LookupKernel(*kern); err != nil {
		fmt.Fprintf(stderr, "pagesim fuzz: %v\n", err)
		return 2
	}
	if *procs < 1 || *calls < 1 {
		fmt.Fprintln(stderr, "pagesim fuzz: --procs and --calls must be at least 1")
		return 2
	}
	cfg := fuzz.CampaignConfig{
		Kernel: *kern, Workdir: *workdir, Duration: *dur, Procs: *procs, Seed: *seed, MaxExecs: *execs,
		Gen:        fuzz.GenConfig{Calls: *calls, MaxMem: *maxMem.v, MaxSize: fuzz.FuzzConfig.MaxSize, MaxDur: fuzz.FuzzConfig.MaxDur},
		NoMinimize: *noMin,
		PageState:  *pageState,
		Status:     stderr,
		Terminal:   isTerminal(stderr),
	}
	if *until != "" {
		re, err := regexp.Compile(*until)
		if err != nil {
			fmt.Fprintf(stderr, "pagesim fuzz: --until: %v\n", err)
			return 2
		}
		cfg.Until = re
	}
	cfg.OnCrash = func(c fuzz.CrashInfo) {
		where := ""
		if c.Dir != "" {
			where = "  " + c.Dir
		}
		fmt.Fprintf(stdout, "crash at %6.1fs: %s%s\n", c.At.Seconds(), c.Title, where)
	}
	// Each run boots a machine whose memory map is megabytes of garbage
	// a few milliseconds later; with the default GOGC the collector then
	// takes as much CPU as the workers (measured: 500 against 800 execs
	// per second per core on 2 cores). GOGC in the environment wins.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	st, err := fuzz.RunCampaign(ctx, cfg)
	if err != nil {
		fmt.Fprintf(stderr, "pagesim fuzz: %v\n", err)
		if st == nil {
			return 2
		}
	}
	fmt.Fprintf(stdout, "kernel %s, %d procs, %s: %d execs, %.0f execs/s per core; corpus %d (%d resumed), coverage %d, signal %d\n",
		*kern, st.Procs, st.Elapsed.Round(time.Millisecond), st.Execs, st.ExecsPerSecPerCore(), st.Corpus, st.Resumed, st.Coverage, st.Signal)
	if st.Slow > 0 {
		fmt.Fprintf(stdout, "slow runs dropped (over %v of host time each): %d\n", fuzz.RunBudget, st.Slow)
	}
	if st.Found != nil {
		fmt.Fprintf(stdout, "found %q after %.2fs\n", st.Found.Title, st.Found.At.Seconds())
	} else if cfg.Until != nil {
		fmt.Fprintf(stdout, "not found: no crash matched %q\n", *until)
	}
	fmt.Fprintf(stdout, "crashes: %d\n", len(st.Crashes))
	if len(st.Crashes) > 0 {
		return 1
	}
	return 0
}

// cmdMinimize is 'pagesim minimize PROGRAM': run the program, take the
// title of what it reports (or --title), and print the smallest program
// that still reports that title (fuzz.Minimize). Exit status 1 when the
// program reports nothing to keep.
func cmdMinimize(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("minimize", flag.ContinueOnError)
	fs.SetOutput(stderr)
	want := fs.String("title", "", "the crash title to keep (default: the program's own)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: pagesim minimize [--title T] PROGRAM")
		return 2
	}
	src, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "pagesim minimize: %v\n", err)
		return 2
	}
	p, err := prog.Parse(fs.Arg(0), src)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	runs := 0
	titleOf := func(q *prog.Program) string {
		runs++
		res, err := prog.Run(q, prog.Options{})
		if err != nil {
			return ""
		}
		t, _ := fuzz.Check(res)
		return t
	}
	title := titleOf(p)
	if *want != "" && title != *want {
		fmt.Fprintf(stderr, "pagesim minimize: the program reports %q, not %q\n", title, *want)
		return 1
	}
	if title == "" {
		fmt.Fprintln(stderr, "pagesim minimize: the program reports nothing; nothing to keep")
		return 1
	}
	min := fuzz.Minimize(p, func(q *prog.Program) bool { return titleOf(q) == title })
	fmt.Fprintf(stderr, "pagesim minimize: %q: %d calls -> %d (%d runs)\n", title, len(p.Calls), len(min.Calls), runs)
	fmt.Fprintf(stdout, "# %s\n%s", title, min.String())
	return 0
}

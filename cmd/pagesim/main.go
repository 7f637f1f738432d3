// SPDX-License-Identifier: GPL-2.0-only

// Command pagesim runs Linux v3.16 memory management as a deterministic
// model: it boots a machine, runs a workload on it, and shows the kernel log
// and /proc files.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"pagesim/examples"
	"pagesim/kernel"
	"pagesim/mm"
	"pagesim/prog"
	"pagesim/sim"
)

// Version is pagesim's version.
const Version = "0.1.0"

const usage = `pagesim: Linux v3.16 memory management as a deterministic, checkable model.

Usage:
  pagesim run [flags]          boot a machine, run an example or stay idle, show what happened
  pagesim run [flags] FILE     run a program (see docs/programs.md); flags override its header
                               (--sched=rr|random, --history PFN, --check=end|every|off, --json;
                               see 'pagesim run -h')
  pagesim bench [--mem M] [--size S]
                               time anonymous page faults in the model and on the host
  pagesim fuzz [--kernel K] [--workdir DIR] [--time D] [--procs N] [--seed S]
                               coverage-guided fuzzing; crashes are minimized into DIR/crashes
  pagesim minimize PROGRAM     the smallest program that still reports what PROGRAM reports
  pagesim bisect PROGRAM       run a reproducer at each modeled commit: first bad, first fixed
  pagesim bisect --example N   the same for a built-in example
  pagesim examples             list the built-in examples
  pagesim kernels              list the modeled kernels and patches
  pagesim version              print the version

Run 'pagesim run -h' for the run flags.
`

func main() {
	os.Exit(realMain(os.Args[1:], os.Stdout, os.Stderr))
}

// realMain returns the exit status: 0 for a clean run, 1 when any report
// fired (a WARN, a BUG or bad page, an oops or panic, an invariant
// violation, a data-integrity error), 2 for a usage error.
func realMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return cmdRun(args[1:], stdout, stderr)
	case "bench":
		return cmdBench(args[1:], stdout, stderr)
	case "examples":
		for _, e := range kernel.Examples() {
			fmt.Fprintf(stdout, "%-14s %s\n", e.Name, e.Description)
		}
		for _, e := range examples.List() {
			if _, err := kernel.LookupExample(e.Name); err == nil {
				continue // the built-in of that name is the one run
			}
			fmt.Fprintf(stdout, "%-14s %s (program)\n", e.Name, e.Description)
		}
		return 0
	case "bisect":
		return cmdBisect(args[1:], stdout, stderr)
	case "fuzz":
		return cmdFuzz(args[1:], stdout, stderr)
	case "minimize":
		return cmdMinimize(args[1:], stdout, stderr)
	case "kernels":
		cmdKernels(stdout)
		return 0
	case "version":
		k, _ := kernel.LookupKernel(kernel.DefaultKernel)
		fmt.Fprintf(stdout, "pagesim %s (models Linux v3.16 mm; kernel release %s)\n", Version, k.Release())
		return 0
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	fmt.Fprintf(stderr, "pagesim: unknown command %q\n\n%s", args[0], usage)
	return 2
}

func cmdKernels(w io.Writer) {
	fmt.Fprintln(w, "Kernels. Each is Linux v3.16 mm plus (+) or minus (-) the modeled patches listed, and nothing else:")
	fmt.Fprintln(w, "v4.5 here is v3.16 with the 2015 migration cleanup, not all of Linux 4.5.")
	for _, k := range kernel.Kernels() {
		def := ""
		if k.Name == kernel.DefaultKernel {
			def = " (default)"
		}
		fmt.Fprintf(w, "  %-10s %s%s\n", k.Name, k.Description, def)
		for _, p := range k.Applied {
			fmt.Fprintf(w, "             +%s\n", p)
		}
		for _, p := range k.Reverted {
			fmt.Fprintf(w, "             -%s\n", p)
		}
	}
	fmt.Fprintln(w, "Patches:")
	ps := kernel.Patches()
	if len(ps) == 0 {
		fmt.Fprintln(w, "  (none modeled yet)")
	}
	for _, p := range ps {
		fmt.Fprintf(w, "  %-24s %-9s %s\n", p.ID, p.Version, p.Title)
	}
}

// listFlag collects a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// sizeFlag parses sizes with K, M, G and T suffixes (powers of 1024).
type sizeFlag struct{ v *uint64 }

func (f sizeFlag) String() string {
	if f.v == nil {
		return ""
	}
	return strconv.FormatUint(*f.v, 10)
}

func (f sizeFlag) Set(s string) error {
	v, err := parseSize(s)
	if err != nil {
		return err
	}
	*f.v = v
	return nil
}

func parseSize(s string) (uint64, error) {
	mult := uint64(1)
	t := strings.TrimSpace(s)
	if t == "" {
		return 0, errors.New("empty size")
	}
	switch t[len(t)-1] {
	case 'K', 'k':
		mult = 1 << 10
	case 'M', 'm':
		mult = 1 << 20
	case 'G', 'g':
		mult = 1 << 30
	case 'T', 't':
		mult = 1 << 40
	}
	if mult != 1 {
		t = t[:len(t)-1]
	}
	n, err := strconv.ParseUint(t, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bad size %q: want a number with an optional K, M, G or T suffix", s)
	}
	if n > (1<<64-1)/mult {
		return 0, fmt.Errorf("size %q overflows", s)
	}
	return n * mult, nil
}

func cmdRun(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := kernel.DefaultConfig()
	example := fs.String("example", "", "run a built-in example (see 'pagesim examples')")
	maxMem := prog.MemCap
	fs.Var(sizeFlag{&maxMem}, "max-mem", "the largest machine a program may ask for (a simulated page costs about 64 host bytes)")
	fs.Var(sizeFlag{&cfg.MemBytes}, "mem", "memory size, e.g. 512M, 4G (default 1G)")
	fs.IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "NUMA nodes")
	fs.IntVar(&cfg.CPUs, "cpus", cfg.CPUs, "CPUs")
	fs.Var(sizeFlag{&cfg.MovableCoreBytes}, "movablecore", "size of ZONE_MOVABLE, as movablecore= (default none)")
	fs.IntVar(&cfg.MinFreeKbytes, "min-free-kbytes", 0, "vm.min_free_kbytes set by the user (0: computed at boot)")
	fs.StringVar(&cfg.Kernel, "kernel", cfg.Kernel, "kernel to model (see 'pagesim kernels')")
	patchEdits := fs.String("patch", "", "patches to apply or revert on top of the kernel, e.g. +debug-put-new-page-check,-8bdd63809160")
	fs.Uint64Var(&cfg.Seed, "seed", cfg.Seed, "machine PRNG seed")
	var sched schedFlag
	fs.Var(&sched, "sched", "the scheduler `policy`: rr (or roundrobin) runs tasks in FIFO order, random picks the next task from the PRNG (default rr, or the program's sched)")
	// --random-sched is the old spelling of --sched=random: kept so that
	// old scripts run, left out of the help.
	randomSched := fs.Bool("random-sched", false, "deprecated: use --sched=random")
	var procs, traces listFlag
	fs.Var(&procs, "proc", "print a /proc file after the run (repeatable): "+strings.Join(mm.ProcFiles, ", "))
	fs.Var(&traces, "trace", "record tracepoint events matching NAME (repeatable; 'all', or a prefix like mm_page_*)")
	idle := fs.Duration("idle", 0, "without an example, keep the machine running idle this long (virtual time), e.g. 5s")
	noDmesg := fs.Bool("no-dmesg", false, "do not print the kernel log")
	var history listFlag
	fs.Var(&history, "history", "record the history of page frame PFN (hex 0x... or decimal; repeatable or comma-separated) and print it after the run")
	jsonOut := fs.Bool("json", false, "print the run's result (log, calls, reports, vmstat deltas, /proc files, trace, histories, exit status) as one JSON object")
	check := fs.String("check", "end", "invariant checking: 'end' runs the checker after the run; 'every' also runs it after each call of a program returns, and stops at the first call after which an invariant is broken; 'off' skips it")
	fs.Usage = func() { runUsage(fs, stderr) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "pagesim run: unexpected argument %q (one program file at a time)\n", fs.Arg(1))
		return 2
	}
	explicit := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { explicit[f.Name] = true })
	if *randomSched {
		if explicit["sched"] && sched.policy != sim.Random {
			fmt.Fprintf(stderr, "pagesim run: --random-sched (deprecated) means --sched=random, not --sched=%s\n", sched.name)
			return 2
		}
		sched = schedFlag{name: "random", policy: sim.Random, set: true}
	}
	prog.MemCap = maxMem
	opts := runOpts{procs: procs, traces: traces, noDmesg: *noDmesg, check: *check, json: *jsonOut}
	switch *check {
	case "end", "every", "off":
	default:
		fmt.Fprintf(stderr, "pagesim run: --check=%s: want end, every or off\n", *check)
		return 2
	}
	var err error
	if opts.history, err = parsePFNs(history); err != nil {
		fmt.Fprintf(stderr, "pagesim run: --history: %v\n", err)
		return 2
	}
	// A program: a file, or an example written in the program language
	// (package examples; the Go-built examples of package kernel come
	// first).
	var progName string
	var progSrc []byte
	if fs.NArg() == 1 {
		if *example != "" {
			fmt.Fprintf(stderr, "pagesim run: give a program file or --example, not both\n")
			return 2
		}
		progName = fs.Arg(0)
		if progSrc, err = os.ReadFile(progName); err != nil {
			fmt.Fprintf(stderr, "pagesim run: %v\n", err)
			return 2
		}
	} else if *example != "" {
		if _, kerr := kernel.LookupExample(*example); kerr != nil {
			if e, ok := examples.Lookup(*example); ok {
				progName, progSrc = e.Name+".prog", e.Source
			}
		}
	}
	// userFlags puts the flags the user gave explicitly (and --patch) on
	// top of a machine described elsewhere: a program's header or an
	// example's config.
	userFlags := func(c *kernel.Config) {
		if explicit["mem"] {
			c.MemBytes = cfg.MemBytes
		}
		if explicit["nodes"] {
			c.Nodes = cfg.Nodes
		}
		if explicit["cpus"] {
			c.CPUs = cfg.CPUs
		}
		if explicit["movablecore"] {
			c.MovableCoreBytes = cfg.MovableCoreBytes
		}
		if explicit["min-free-kbytes"] {
			c.MinFreeKbytes = cfg.MinFreeKbytes
		}
		if explicit["kernel"] {
			c.Kernel = cfg.Kernel
		}
		if explicit["seed"] {
			c.Seed = cfg.Seed
		}
		if sched.set {
			c.Policy = sched.policy
		}
		if *patchEdits != "" {
			c.Patches = append(c.Patches, strings.Split(*patchEdits, ",")...)
		}
	}
	if progSrc != nil {
		for _, p := range procs {
			if !knownProc(p) {
				fmt.Fprintf(stderr, "pagesim run: --proc %s: unknown file (known: %s)\n", p, strings.Join(mm.ProcFiles, ", "))
				return 2
			}
		}
		// The program's header wins over the defaults; a flag given
		// explicitly wins over the header.
		return runProgram(progName, progSrc, explicit["min-free-kbytes"], userFlags, opts, idle.Nanoseconds(), stdout, stderr)
	}

	var ex *kernel.Example
	if *example != "" {
		if ex, err = kernel.LookupExample(*example); err != nil {
			fmt.Fprintf(stderr, "pagesim run: %v\n", err)
			return 2
		}
		// The example's machine, with any flag the user gave on top.
		base := ex.Config
		userFlags(&base)
		cfg = base
		if len(procs) == 0 {
			procs = ex.Proc
			opts.procs = procs
		}
	} else {
		userFlags(&cfg)
	}
	for _, p := range procs {
		if !knownProc(p) {
			fmt.Fprintf(stderr, "pagesim run: --proc %s: unknown file (known: %s)\n", p, strings.Join(mm.ProcFiles, ", "))
			return 2
		}
	}
	m, err := kernel.Boot(cfg)
	if err != nil {
		fmt.Fprintf(stderr, "pagesim run: %v\n", err)
		return 2
	}
	defer m.Close()
	opts.progress = newProgress(stderr, 0)
	opts.setup(m)
	if ex != nil && ex.Workload != nil {
		ex.Workload(m)
	}
	idleNS := idle.Nanoseconds()
	if ex != nil && ex.IdleNS > 0 && idleNS == 0 {
		idleNS = ex.IdleNS
	}
	if opts.check == "every" {
		// A built-in example written in Go makes its system calls
		// directly: there is no program call to check after.
		what := "without an example, the machine runs no program"
		if ex != nil {
			what = fmt.Sprintf("the example %s is written in Go, not as a program", ex.Name)
		}
		fmt.Fprintf(stderr, "pagesim run: --check=every checks after each call of a program; %s: checking at the end only\n", what)
	}
	res := m.Run(idleNS)
	opts.progress.finish()
	var inv []string
	if opts.check != "off" && res.Oops == nil {
		inv = m.MM.CheckInvariants()
	}
	return opts.report(m, res, nil, inv, stdout, stderr)
}

// runProgram runs a program (src, read from path): a malformed one is a
// usage error (exit 2, file:line:col: message).
func runProgram(path string, src []byte, dropMinFree bool, override func(*kernel.Config), opts runOpts, idleNS int64, stdout, stderr io.Writer) int {
	p, err := prog.Parse(path, src)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	if dropMinFree {
		// --min-free-kbytes given: it wins over the header's sysctl.
		var keep []prog.Sysctl
		for _, s := range p.Header.Sysctls {
			if s.Name != "vm.min_free_kbytes" {
				keep = append(keep, s)
			}
		}
		p.Header.Sysctls = keep
	}
	po := prog.Options{
		Override: override,
		Setup:    opts.setup,
		IdleNS:   idleNS,
	}
	opts.path = path
	opts.progress = newProgress(stderr, len(p.Calls))
	if opts.check == "every" {
		opts.every = &everyCheck{}
	}
	if opts.every != nil || opts.progress != nil {
		po.AfterCall = func(ev *prog.CallEvent) bool {
			opts.progress.callDone(ev.Done)
			return opts.every != nil && opts.every.afterCall(ev)
		}
	}
	res, err := prog.Run(p, po)
	opts.progress.finish()
	if err != nil {
		fmt.Fprintf(stderr, "pagesim run: %s: %v\n", path, err)
		return 2
	}
	var inv []string
	switch {
	case opts.every != nil && opts.every.broken != nil:
		inv = opts.every.inv
	case opts.check != "off":
		inv = res.Invariants
		if opts.every != nil {
			opts.every.endOfRun(inv)
		}
	}
	return opts.report(res.Machine, res.Kernel, res.Trace, inv, stdout, stderr)
}

// schedFlag is --sched: the scheduler policy, by name.
type schedFlag struct {
	name   string
	policy sim.Policy
	set    bool
}

func (f *schedFlag) String() string { return f.name }

func (f *schedFlag) Set(v string) error {
	switch v {
	case "rr", "roundrobin":
		f.policy = sim.RoundRobin
	case "random":
		f.policy = sim.Random
	default:
		return fmt.Errorf("want rr (or roundrobin) or random")
	}
	f.name, f.set = v, true
	return nil
}

// hiddenRunFlags are accepted by 'pagesim run' but not shown by -h: old
// spellings kept for old scripts.
var hiddenRunFlags = map[string]bool{"random-sched": true}

// runUsage is 'pagesim run -h': the flags, without the hidden ones.
func runUsage(fs *flag.FlagSet, w io.Writer) {
	doc := flag.NewFlagSet("run", flag.ContinueOnError)
	doc.SetOutput(w)
	fs.VisitAll(func(f *flag.Flag) {
		if !hiddenRunFlags[f.Name] {
			doc.Var(f.Value, f.Name, f.Usage)
			doc.Lookup(f.Name).DefValue = f.DefValue
		}
	})
	fmt.Fprintf(w, "Usage: pagesim run [flags] [FILE]\n")
	doc.PrintDefaults()
}

func knownProc(p string) bool {
	for _, f := range mm.ProcFiles {
		if f == p {
			return true
		}
	}
	return false
}

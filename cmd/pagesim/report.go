// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"pagesim/kernel"
	"pagesim/mm"
)

// runOpts is what 'pagesim run' does around the workload: what to record
// on the booted machine and what to show after the run.
type runOpts struct {
	procs   []string
	traces  []string
	noDmesg bool
	history []uint64
	check   string // "end", "every" or "off"
	json    bool   // print the runReport as one JSON object
	// every is --check=every's state, for a program run with it.
	every *everyCheck
	// path is the program's file, for reports.
	path string
	// progress is the progress line, nil unless stderr is a terminal.
	progress *progress

	tracer   *mm.Tracer
	vmBefore map[string]int64 // /proc/vmstat right after boot
}

// setup prepares a booted machine before its workload runs: the tracer,
// the page history and the progress line.
func (o *runOpts) setup(m *kernel.Machine) {
	o.progress.attach(m)
	if len(o.traces) > 0 {
		o.tracer = mm.NewTracer(o.traces)
		m.MM.SetTracer(o.tracer)
	}
	if len(o.history) > 0 {
		m.MM.EnablePageHistory(o.history...)
	}
	o.vmBefore = readVmstat(m)
}

// parsePFNs parses --history values: PFNs in hex (0x...) or decimal,
// each flag a comma-separated list.
func parsePFNs(vals []string) ([]uint64, error) {
	var pfns []uint64
	seen := map[uint64]bool{}
	for _, v := range vals {
		for _, f := range strings.Split(v, ",") {
			f = strings.TrimSpace(f)
			n, err := strconv.ParseUint(f, 0, 64)
			if err != nil {
				return nil, fmt.Errorf("bad PFN %q: want a number, e.g. 0x1a2b or 6699", f)
			}
			if !seen[n] {
				seen[n] = true
				pfns = append(pfns, n)
			}
		}
	}
	return pfns, nil
}

// summaryVmstat says which /proc/vmstat counters the summary shows: these
// names, and those starting with a prefix ending in '_'.
var summaryVmstat = []string{"nr_free_pages", "pgfault", "pgmajfault", "pswpin", "pswpout", "pgsteal_", "pgscan_", "allocstall", "compact_stall", "pgmigrate_success", "pgmigrate_fail"}

func inSummary(name string) bool {
	for _, s := range summaryVmstat {
		if name == s || strings.HasSuffix(s, "_") && strings.HasPrefix(name, s) {
			return true
		}
	}
	return false
}

// reportTitles are the starts of the kernel log lines that are reports:
// WARN, BUG (bad page state, bad page map, ...), BUG() and panic.
var reportTitles = []string{"WARNING:", "BUG:", "kernel BUG at", "Kernel panic"}

// logReports returns the kernel log's report lines, without their
// timestamps.
func logReports(log []string) []string {
	var r []string
	for _, l := range log {
		t := l
		if strings.HasPrefix(t, "[") {
			if i := strings.Index(t, "] "); i >= 0 {
				t = t[i+2:]
			}
		}
		for _, p := range reportTitles {
			if strings.HasPrefix(t, p) {
				r = append(r, t)
				break
			}
		}
	}
	return r
}

// vmDelta is one /proc/vmstat counter's change from boot to the end.
type vmDelta struct {
	Name  string `json:"name"`
	Delta int64  `json:"delta"`
}

// runReport is what a run did, as 'pagesim run' shows it.
type runReport struct {
	Log   []string `json:"log,omitempty"`
	Calls []string `json:"calls,omitempty"`
	// Reports lists every report that fired, by title: the log's WARNING,
	// BUG and panic lines, then a model error if there was one.
	Reports []string `json:"reports"`
	// InvariantsChecked is false with --check=off or after an oops.
	InvariantsChecked bool     `json:"invariants_checked"`
	Invariants        []string `json:"invariant_violations"`
	// EveryCheck is --check=every's account: the checks run after calls,
	// and the call after which the invariants were found broken.
	EveryCheck          *everyStats `json:"check_every,omitempty"`
	DataIntegrityErrors int         `json:"data_integrity_errors"`
	Vmstat              []vmDelta   `json:"vmstat_deltas"`
	// Proc maps each --proc file to its text after the run.
	Proc    map[string]string   `json:"proc,omitempty"`
	Trace   []string            `json:"trace,omitempty"`
	History map[string][]string `json:"history,omitempty"`
	Exit    int                 `json:"exit_status"`

	uncheckedWhy string
}

// stats is what --check=every did, for the JSON report.
func (e *everyCheck) stats() *everyStats {
	st := &everyStats{Checks: e.checks, Deferred: e.deferred, BrokenAfter: e.broken}
	if e.atEnd {
		st.BrokenAtEnd, st.UncheckedAtEnd = true, e.unchecked
	}
	return st
}

// everyStats is what --check=every did.
type everyStats struct {
	// Checks counts the checks run after calls; Deferred the calls that
	// returned while another task was in the kernel, not checked.
	Checks   int `json:"checks_after_calls"`
	Deferred int `json:"calls_not_quiet"`
	// BrokenAfter is the call after which the run stopped.
	BrokenAfter *callRef `json:"broken_after,omitempty"`
	// BrokenAtEnd is set when only the check at the end of the run found
	// the violation; UncheckedAtEnd then lists the calls it may come from.
	BrokenAtEnd    bool       `json:"broken_at_end,omitempty"`
	UncheckedAtEnd []*callRef `json:"unchecked_calls_at_end,omitempty"`
}

// collect gathers what a run did. inv is the invariant checker's findings
// (nil when it did not run).
func (o *runOpts) collect(m *kernel.Machine, res kernel.Result, calls []string, inv []string) *runReport {
	r := &runReport{Calls: calls, DataIntegrityErrors: m.DataIntegrityErrors}
	r.Log = strings.Split(strings.TrimSuffix(m.Log.String(), "\n"), "\n")
	if len(r.Log) == 1 && r.Log[0] == "" {
		r.Log = []string{}
	}
	r.Reports = append([]string{}, logReports(r.Log)...)
	if res.Err != nil {
		msg := strings.SplitN(res.Err.Error(), "\n", 2)[0]
		if i := strings.Index(msg, " hang: "); i >= 0 {
			// sim's watchdog: a livelock in the modeled kernel, not a
			// failure of pagesim.
			r.Reports = append(r.Reports, msg[i+1:])
		} else {
			r.Reports = append(r.Reports, "pagesim error: "+msg)
		}
	}
	r.InvariantsChecked = o.check != "off" && res.Oops == nil
	if e := o.every; e != nil {
		r.EveryCheck = e.stats()
	}
	r.Invariants = []string{}
	if res.Oops != nil {
		r.uncheckedWhy = "the machine stopped"
	} else {
		r.uncheckedWhy = "--check=off"
	}
	if r.InvariantsChecked {
		r.Invariants = append(r.Invariants, inv...)
	}
	r.Vmstat = []vmDelta{}
	if o.vmBefore != nil {
		for _, kv := range readVmstatList(m) {
			if d := kv.Delta - o.vmBefore[kv.Name]; d != 0 && inSummary(kv.Name) {
				r.Vmstat = append(r.Vmstat, vmDelta{kv.Name, d})
			}
		}
	}
	if len(o.procs) > 0 {
		r.Proc = map[string]string{}
		for _, p := range o.procs {
			r.Proc[p], _ = m.Proc(p)
		}
	}
	if o.tracer != nil {
		r.Trace = append([]string{}, o.tracer.Lines()...)
	}
	if len(o.history) > 0 {
		r.History = map[string][]string{}
		for _, pfn := range o.history {
			r.History[fmt.Sprintf("%#x", pfn)] = append([]string{}, m.MM.PageHistory(pfn)...)
		}
	}
	if len(r.Reports) > 0 || len(r.Invariants) > 0 || r.DataIntegrityErrors > 0 || res.Failed() {
		r.Exit = 1
	}
	return r
}

// report shows what a run did, and returns the exit status: the kernel
// log, the program's calls (if any), the /proc files, the trace, the page
// histories and the summary; problems are also told on stderr. inv is the
// invariant checker's findings (nil when it did not run).
func (o *runOpts) report(m *kernel.Machine, res kernel.Result, calls []string, inv []string, stdout, stderr io.Writer) int {
	r := o.collect(m, res, calls, inv)
	if res.Err != nil {
		fmt.Fprintf(stderr, "pagesim: %v\n", res.Err)
	}
	if res.Oops != nil {
		fmt.Fprintf(stderr, "pagesim: the machine stopped: %s\n", res.Oops.Error())
	}
	if r.DataIntegrityErrors > 0 {
		fmt.Fprintf(stderr, "pagesim: %d data integrity errors (see the log)\n", r.DataIntegrityErrors)
	}
	if e := o.every; e != nil && e.found() {
		e.report(o.path, stderr)
	}
	if len(r.Invariants) > 0 {
		fmt.Fprintf(stderr, "pagesim: invariant violations:\n  %s\n", strings.Join(r.Invariants, "\n  "))
	}
	if o.json {
		if o.noDmesg {
			r.Log = nil
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(stderr, "pagesim: %v\n", err)
			return 1
		}
		return r.Exit
	}
	if !o.noDmesg {
		for _, l := range r.Log {
			fmt.Fprintln(stdout, l)
		}
	}
	if calls != nil {
		fmt.Fprintf(stdout, "\n==> calls <==\n")
		for _, l := range calls {
			fmt.Fprintln(stdout, l)
		}
	}
	for _, p := range o.procs {
		fmt.Fprintf(stdout, "\n==> %s <==\n%s", p, r.Proc[p])
	}
	if o.tracer != nil {
		fmt.Fprintf(stdout, "\n==> trace <==\n")
		for _, l := range r.Trace {
			fmt.Fprintln(stdout, l)
		}
	}
	for _, pfn := range o.history {
		fmt.Fprintf(stdout, "\n==> history pfn %#x <==\n", pfn)
		ev := r.History[fmt.Sprintf("%#x", pfn)]
		if len(ev) == 0 {
			fmt.Fprintln(stdout, "(no events)")
		}
		for _, l := range ev {
			fmt.Fprintln(stdout, l)
		}
	}
	r.writeSummary(stdout)
	return r.Exit
}

// writeSummary writes the ==> summary <== section.
func (r *runReport) writeSummary(w io.Writer) {
	fmt.Fprintf(w, "\n==> summary <==\n")
	fmt.Fprintf(w, "reports: %d\n", len(r.Reports))
	for _, t := range r.Reports {
		fmt.Fprintf(w, "  %s\n", t)
	}
	if e := r.EveryCheck; e != nil {
		calls := "calls"
		if e.Deferred == 1 {
			calls = "call"
		}
		fmt.Fprintf(w, "invariant checks after calls: %d (%d %s returned while another task was in the kernel)\n", e.Checks, e.Deferred, calls)
	}
	if b := r.EveryCheck; b != nil && b.BrokenAfter != nil {
		fmt.Fprintf(w, "invariant violations: %d, after line %d: %s\n", len(r.Invariants), b.BrokenAfter.Line, b.BrokenAfter.Trace)
	} else if r.InvariantsChecked {
		fmt.Fprintf(w, "invariant violations: %d\n", len(r.Invariants))
	} else {
		fmt.Fprintf(w, "invariant violations: not checked (%s)\n", r.uncheckedWhy)
	}
	fmt.Fprintf(w, "data integrity errors: %d\n", r.DataIntegrityErrors)
	fmt.Fprintf(w, "vmstat deltas (boot to end, nonzero):\n")
	for _, d := range r.Vmstat {
		fmt.Fprintf(w, "  %-24s %+d\n", d.Name, d.Delta)
	}
	fmt.Fprintf(w, "exit status: %d\n", r.Exit)
}

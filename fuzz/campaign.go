// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"regexp"
	"runtime"
	"sort"
	"sync"
	"time"

	"pagesim/kernel"
	"pagesim/mm"
	"pagesim/prog"
)

// CampaignConfig is what `pagesim fuzz` asks for.
type CampaignConfig struct {
	Kernel   string        // the kernel every program runs on ("" for the default)
	Workdir  string        // where the corpus and the crashes are kept ("" for none)
	Duration time.Duration // how long to run (0: until ctx is done)
	Procs    int           // parallel workers (default: GOMAXPROCS)
	// MaxExecs, when not 0, ends the campaign after about this many
	// programs (a worker stops once the count is reached). With one
	// worker and a seed, such a campaign is deterministic.
	MaxExecs uint64
	Seed     int64     // the campaign's seed: worker i draws from Seed+i
	Gen      GenConfig // the generator's bounds (Kernel is set from Kernel)
	// Until, when set, ends the campaign as soon as a crash whose title
	// it matches is found (for time-to-find measurements).
	Until *regexp.Regexp
	// NoMinimize skips minimizing crashes (they keep the program that
	// found them).
	NoMinimize bool
	// Status gets the progress display: one line per StatusEvery, or,
	// if Terminal, a line redrawn in place.
	Status      io.Writer
	Terminal    bool
	StatusEvery time.Duration
	// SiteNames collects the names of the decision points reached
	// (Stats.Sites), at some cost in speed.
	SiteNames bool
	// PageState adds the generic page-state signal (mm.Coverage.PageState).
	PageState bool
	// OnCrash, when set, is told of each new crash once it is saved.
	OnCrash func(CrashInfo)
	// Now is the clock (time.Now; a test may replace it).
	Now func() time.Time
}

func (cfg CampaignConfig) nowOrDefault() func() time.Time {
	if cfg.Now == nil {
		return time.Now
	}
	return cfg.Now
}

// Stats is a campaign's outcome.
type Stats struct {
	Execs    uint64        // programs run (corpus triage and minimization included)
	Slow     uint64        // of those, runs dropped for going past RunBudget
	Elapsed  time.Duration // wall time
	Procs    int
	Corpus   int // programs kept for new coverage
	Signal   int // distinct coverage features seen
	Crashes  []CrashInfo
	Found    *CrashInfo // the crash that matched Until, if any
	Resumed  int        // corpus programs loaded from the workdir
	Triaged  int        // of those, how many still gave new coverage
	Coverage int        // distinct decision points (sites and transitions) reached
	Sites    []string   // with SiteNames: the named sites reached, sorted
}

// ExecsPerSecPerCore is the exec rate per worker.
func (s *Stats) ExecsPerSecPerCore() float64 {
	if s.Elapsed <= 0 || s.Procs == 0 {
		return 0
	}
	return float64(s.Execs) / s.Elapsed.Seconds() / float64(s.Procs)
}

// CrashInfo is one distinct crash of a campaign.
type CrashInfo struct {
	Title string
	Dir   string        // its directory in the workdir ("" without one)
	At    time.Duration // when it was first found, since the campaign began
	Repro *prog.Program // the minimized reproducer (or the program, with NoMinimize)
}

// campaign is the state the workers share.
type campaign struct {
	cfg   CampaignConfig
	start time.Time
	wd    *workdir

	mu     sync.Mutex
	corpus []*prog.Program
	// cumWeight[i] is the sum of the weights of corpus[0..i]: a
	// program's weight is the number of new features it brought, so
	// that programs that opened up more are mutated more (as syzkaller
	// weighs its corpus by signal).
	cumWeight []int64
	signal    map[uint32]bool
	cover     map[uint32]bool
	titles    map[string]bool // crashes found (or being minimized)
	sites     map[string]bool
	crashes   []CrashInfo
	found     *CrashInfo
	execs     uint64
	slow      uint64 // runs dropped for going past RunBudget
	resumed   int
	triaged   int
	stopping  bool
}

// RunCampaign fuzzes until cfg.Duration has passed, ctx is done, or a
// crash matches cfg.Until. Each worker loops: generate a program (or
// mutate one from the corpus), run it on a fresh machine with coverage
// on, keep it if it reached new coverage, and check it with every
// oracle; a crash with a title not seen before is minimized and saved.
// With a workdir, the corpus and crashes found by earlier campaigns are
// loaded first, and the corpus is run again to rebuild the coverage.
func RunCampaign(ctx context.Context, cfg CampaignConfig) (*Stats, error) {
	if cfg.Procs <= 0 {
		cfg.Procs = runtime.GOMAXPROCS(0)
	}
	if cfg.StatusEvery <= 0 {
		cfg.StatusEvery = 10 * time.Second
		if cfg.Terminal {
			cfg.StatusEvery = time.Second / 4
		}
	}
	c := newCampaign(cfg)
	if cfg.Workdir != "" {
		wd, err := openWorkdir(cfg.Workdir)
		if err != nil {
			return nil, err
		}
		c.wd = wd
		for _, title := range wd.crashTitles() {
			c.titles[title] = true
		}
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()

	if c.wd != nil {
		if err := c.triageSaved(ctx); err != nil {
			return nil, err
		}
	}

	var wg sync.WaitGroup
	for i := 0; i < cfg.Procs; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c.worker(ctx, stop, rand.New(rand.NewSource(cfg.Seed+int64(i))))
		}(i)
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	c.statusLoop(done)
	if c.wd != nil {
		if err := c.wd.Err(); err != nil {
			return c.stats(), fmt.Errorf("workdir %s: %v", cfg.Workdir, err)
		}
	}
	return c.stats(), nil
}

func newCampaign(cfg CampaignConfig) *campaign {
	cfg.Gen.Kernel = cfg.Kernel
	cfg.Now = cfg.nowOrDefault()
	return &campaign{cfg: cfg, start: cfg.Now(), signal: map[uint32]bool{}, cover: map[uint32]bool{}, titles: map[string]bool{}, sites: map[string]bool{}}
}

// triageSaved runs the workdir's corpus again, in name order, to rebuild
// the coverage a resumed campaign starts from.
func (c *campaign) triageSaved(ctx context.Context) error {
	progs, err := c.wd.loadCorpus()
	if err != nil {
		return err
	}
	c.resumed = len(progs)
	for _, p := range progs {
		if ctx.Err() != nil {
			return nil
		}
		res, feats := c.exec(p)
		if res == nil {
			continue
		}
		release(res)
		if n := c.addSignal(feats); n > 0 {
			c.addCorpus(p, n)
			c.triaged++
		}
	}
	return nil
}

func (c *campaign) worker(ctx context.Context, stop func(), r *rand.Rand) {
	for ctx.Err() == nil {
		if c.cfg.MaxExecs != 0 {
			c.mu.Lock()
			n := c.execs
			c.mu.Unlock()
			if n >= c.cfg.MaxExecs {
				return
			}
		}
		p := c.next(r)
		res, feats := c.exec(p)
		if res == nil {
			continue
		}
		if n := c.addSignal(feats); n > 0 {
			c.addCorpus(p, n)
			if c.wd != nil {
				c.wd.saveCorpus(p)
			}
		}
		title, bad := Check(res)
		if !bad || !c.claim(title) {
			release(res)
			continue
		}
		info := c.crash(title, p, res)
		release(res)
		if c.cfg.Until != nil && c.cfg.Until.MatchString(title) {
			c.mu.Lock()
			if c.found == nil {
				c.found = info
			}
			c.stopping = true
			c.mu.Unlock()
			stop()
		}
	}
}

// next is the program to run: a new one while the corpus is empty and
// one time in ten after, else a mutation of a corpus program.
func (c *campaign) next(r *rand.Rand) *prog.Program {
	c.mu.Lock()
	var base *prog.Program
	if n := len(c.cumWeight); n > 0 {
		w := r.Int63n(c.cumWeight[n-1])
		base = c.corpus[sort.Search(n, func(i int) bool { return c.cumWeight[i] > w })]
	}
	c.mu.Unlock()
	if base == nil || r.Intn(10) == 0 {
		return Sanitize(Generate(r, c.cfg.Gen))
	}
	p := base
	for i := 1 + r.Intn(3); i > 0; i-- {
		p = Mutate(r, p, c.cfg.Gen)
	}
	return Sanitize(p)
}

// exec runs p with coverage on and returns the result and its coverage
// features; a nil result is a program that would not run (it counts as
// an exec but is otherwise dropped).
func (c *campaign) exec(p *prog.Program) (*prog.Result, []uint32) {
	cov, _ := covPool.Get().(*mm.Coverage)
	if cov == nil {
		cov = &mm.Coverage{}
	}
	cov.Reset()
	cov.PageState = c.cfg.PageState
	if c.cfg.SiteNames && cov.Names == nil {
		cov.Names = map[uint32]string{}
	}
	booted := false
	res, err := prog.Run(p, prog.Options{
		Setup:    func(m *kernel.Machine) { m.MM.UseCoverage(cov); booted = true },
		Deadline: time.Now().Add(RunBudget),
	})
	defer covPool.Put(cov)
	c.mu.Lock()
	c.execs++
	if res != nil && res.TimedOut {
		c.slow++
		c.mu.Unlock()
		release(res)
		return nil, nil
	}
	for _, name := range cov.Names {
		c.sites[name] = true
	}
	c.mu.Unlock()
	if err != nil || !booted {
		return nil, nil
	}
	return res, Features(cov)
}

// RunBudget is how much host time one run may take. A run takes
// milliseconds; one that takes seconds is a program with gigabytes of
// model work, or a livelock the watchdog has not caught yet, and is
// dropped (counted as slow) rather than let it hold a worker.
const RunBudget = 5 * time.Second

// covPool holds coverage tables between runs (64K each).
var covPool sync.Pool

// release hands a checked run's memory back (mm.System.Release): the
// campaign reads nothing of the machine but its log after Check.
func release(res *prog.Result) {
	if res.Machine != nil {
		res.Machine.MM.Release()
	}
}

// Features turns a run's coverage into the fuzzer's signal: one feature
// per table entry reached, and per AFL hit-count bucket of it, so that a
// loop taken more times than before counts as new.
func Features(cov *mm.Coverage) []uint32 {
	out := make([]uint32, 0, len(cov.Touched))
	for _, i := range cov.Touched {
		out = append(out, uint32(i)<<3|hitBucket(cov.Hits[i]))
	}
	return out
}

func hitBucket(n uint8) uint32 {
	switch {
	case n == 1:
		return 0
	case n == 2:
		return 1
	case n == 3:
		return 2
	case n < 8:
		return 3
	case n < 16:
		return 4
	case n < 32:
		return 5
	case n < 128:
		return 6
	}
	return 7
}

// addSignal merges feats into the campaign's signal and returns how many
// were new.
func (c *campaign) addSignal(feats []uint32) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	fresh := 0
	for _, f := range feats {
		if !c.signal[f] {
			c.signal[f] = true
			c.cover[f>>3] = true
			fresh++
		}
	}
	return fresh
}

// addCorpus keeps p, with the weight of the n new features it brought.
func (c *campaign) addCorpus(p *prog.Program, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	total := int64(0)
	if k := len(c.cumWeight); k > 0 {
		total = c.cumWeight[k-1]
	}
	c.corpus = append(c.corpus, p)
	c.cumWeight = append(c.cumWeight, total+int64(n))
}

// claim reports whether title is new, and marks it found.
func (c *campaign) claim(title string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.titles[title] || c.stopping {
		return false
	}
	c.titles[title] = true
	return true
}

// crash minimizes a new crash and saves it.
func (c *campaign) crash(title string, p *prog.Program, res *prog.Result) *CrashInfo {
	at := c.cfg.Now().Sub(c.start)
	report := ""
	if res.Machine != nil && res.Machine.Log != nil {
		report = res.Machine.Log.String()
	}
	repro := p
	if !c.cfg.NoMinimize {
		repro = Minimize(p, func(q *prog.Program) bool {
			res, _ := c.exec(q)
			if res == nil {
				return false
			}
			t, bad := Check(res)
			release(res)
			return bad && t == title
		})
	}
	info := CrashInfo{Title: title, At: at, Repro: repro}
	if c.wd != nil {
		info.Dir = c.wd.saveCrash(title, report, p, repro)
	}
	c.mu.Lock()
	c.crashes = append(c.crashes, info)
	c.mu.Unlock()
	if c.cfg.OnCrash != nil {
		c.cfg.OnCrash(info)
	}
	return &info
}

func (c *campaign) stats() *Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := &Stats{Execs: c.execs, Slow: c.slow, Elapsed: c.cfg.Now().Sub(c.start), Procs: c.cfg.Procs, Corpus: len(c.corpus),
		Signal: len(c.signal), Coverage: len(c.cover), Crashes: append([]CrashInfo(nil), c.crashes...),
		Found: c.found, Resumed: c.resumed, Triaged: c.triaged}
	sort.Slice(st.Crashes, func(i, j int) bool { return st.Crashes[i].At < st.Crashes[j].At })
	for name := range c.sites {
		st.Sites = append(st.Sites, name)
	}
	sort.Strings(st.Sites)
	return st
}

// statusLoop prints the progress display until done is closed, then
// erases a terminal's line.
func (c *campaign) statusLoop(done <-chan struct{}) {
	if c.cfg.Status == nil {
		<-done
		return
	}
	tick := time.NewTicker(c.cfg.StatusEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			if c.cfg.Terminal {
				fmt.Fprint(c.cfg.Status, "\r\033[K")
			}
			return
		case <-tick.C:
			line := c.stats().StatusLine()
			if c.cfg.Terminal {
				fmt.Fprintf(c.cfg.Status, "\r\033[K%s", line)
			} else {
				fmt.Fprintln(c.cfg.Status, line)
			}
		}
	}
}

// StatusLine is the one-line progress display.
func (s *Stats) StatusLine() string {
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Execs) / s.Elapsed.Seconds()
	}
	return fmt.Sprintf("fuzz: %s elapsed, %d execs (%.0f/s, %.0f/s/core), corpus %d, coverage %d, signal %d, crashes %d",
		s.Elapsed.Round(time.Second), s.Execs, rate, s.ExecsPerSecPerCore(), s.Corpus, s.Coverage, s.Signal, len(s.Crashes))
}

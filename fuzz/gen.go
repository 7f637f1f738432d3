// SPDX-License-Identifier: GPL-2.0-only

// Package fuzz generates, mutates, runs and minimizes pagesim programs.
//
// The generator knows the calls and their argument types (prog's call
// table), not any bug: nothing here encodes a known bug scenario, and the
// corpus starts empty. Programs are built valid by construction, so that
// the fuzzer's time goes into running the model rather than into programs
// that prog.Validate would refuse.
package fuzz

import (
	"fmt"
	"math/rand"
	"strings"

	"pagesim/mm"
	"pagesim/prog"
)

// page is the model's page size; sizes are drawn as small multiples of it
// because that is where the interesting paths (faults, partial pages,
// read-ahead windows) are.
const page = 4096

// GenConfig bounds what the generator makes. Small bounds keep one run
// short: the fuzzer's value is in how many programs it runs.
type GenConfig struct {
	Calls   int    // calls in a generated program (default 20)
	Kernel  string // the header's kernel; "" for pagesim's default
	MaxSize uint64 // largest size argument (default 16M)
	MaxDur  int64  // longest duration in ns (default 50ms)
	MaxMem  uint64 // largest machine (default 256M, at least 64M)
}

func (c GenConfig) withDefaults() GenConfig {
	if c.Calls <= 0 {
		c.Calls = 20
	}
	if c.MaxSize == 0 {
		c.MaxSize = 16 << 20
	}
	if c.MaxDur <= 0 {
		c.MaxDur = 50e6
	}
	if c.MaxMem < 64<<20 {
		c.MaxMem = 256 << 20
	}
	return c
}

// res is what the generator knows of one resource.
type res struct {
	typ  prog.ResType
	size uint64 // mmap length, for address offsets
}

// tstate is one task as the generator sees it at a point of the program.
type tstate struct {
	scope  []int // resources it can see
	exited bool
}

// state is the program prefix's view: resources, tasks and names in use.
// The same analysis serves generation (append a call) and insertion
// (a call in the middle, seeing what the prefix defined).
type state struct {
	p     *prog.Program
	res   []res
	tasks map[string]*tstate
	order []string // tasks in order of appearance
	names map[string]bool
	// sysctl is the name the sysctl call being generated writes, so
	// that its value can be drawn in that sysctl's unit.
	sysctl string
}

// analyze builds the state after the first n calls of p.
func analyze(p *prog.Program, n int) *state {
	s := &state{p: p, tasks: map[string]*tstate{}, names: map[string]bool{}}
	for _, c := range p.Calls {
		s.names[c.Task] = true
		if c.Name == "fork" && len(c.Args) == 1 {
			s.names[c.Args[0].Str] = true
		}
	}
	for _, c := range p.Calls[:n] {
		s.apply(c)
	}
	return s
}

func (s *state) task(name string) *tstate {
	t := s.tasks[name]
	if t == nil {
		t = &tstate{}
		s.tasks[name] = t
		s.order = append(s.order, name)
	}
	return t
}

// apply records the effect of call c on the state.
func (s *state) apply(c *prog.Call) {
	t := s.task(c.Task)
	switch c.Name {
	case "fork":
		child := s.task(c.Args[0].Str)
		child.scope = append([]int(nil), t.scope...)
	case "exit":
		t.exited = true
	}
	if c.Def {
		sig := prog.LookupSyscall(c.Name)
		r := res{typ: sig.Ret}
		if c.Name == "mmap" {
			r.size = c.Args[0].Val
		}
		t.scope = append(t.scope, len(s.res))
		s.res = append(s.res, r)
	}
}

// visible lists the resources of type typ that task t sees.
func (s *state) visible(t *tstate, typ prog.ResType) []int {
	var out []int
	for _, n := range t.scope {
		if s.res[n].typ == typ {
			out = append(out, n)
		}
	}
	return out
}

// newTaskName is a task name not used anywhere in the program.
func (s *state) newTaskName(r *rand.Rand, prefix string) string {
	for i := 0; ; i++ {
		name := fmt.Sprintf("%s%d", prefix, i)
		if !s.names[name] {
			s.names[name] = true
			return name
		}
	}
}

// Generate makes a random program that is valid by construction: a small
// machine with random mounts, the random scheduler and a random seed, then
// cfg.Calls calls over a few tasks.
func Generate(r *rand.Rand, cfg GenConfig) *prog.Program {
	cfg = cfg.withDefaults()
	p := &prog.Program{}
	p.Header = genHeader(r, cfg)
	s := analyze(p, 0)
	for len(p.Calls) < cfg.Calls {
		c := genCall(r, s, cfg, "")
		if c == nil {
			break
		}
		p.Calls = append(p.Calls, c)
		s.apply(c)
	}
	return p
}

func genHeader(r *rand.Rand, cfg GenConfig) prog.Header {
	var h prog.Header
	// 64M is the smallest machine the model boots (mm.MinMemBytes); a
	// run's cost grows with the memory map, so small machines are the
	// fuzzer's staple.
	mems := []uint64{64 << 20, 128 << 20, 256 << 20}
	for len(mems) > 1 && mems[len(mems)-1] > cfg.MaxMem {
		mems = mems[:len(mems)-1]
	}
	h.Mem = mems[r.Intn(len(mems))]
	h.CPUs = 1 + r.Intn(2)
	if r.Intn(2) == 0 {
		h.Swap = []uint64{8 << 20, 32 << 20, 64 << 20}[r.Intn(3)]
	}
	h.Kernel = cfg.Kernel
	h.Seed, h.HasSeed = uint64(r.Int63n(1<<32)), true
	h.Sched = "random"
	for _, m := range []prog.Mount{
		{Type: "ext4", Path: "/mnt/ext4"},
		{Type: "xfs", Path: "/mnt/xfs"},
		{Type: "tmpfs", Path: "/mnt/tmp"},
	} {
		if r.Intn(3) == 0 {
			continue
		}
		switch m.Type {
		case "tmpfs":
			if r.Intn(2) == 0 {
				m.Size = uint64(1+r.Intn(16)) << 20
			}
		default:
			m.Size = uint64(32+r.Intn(4)*32) << 20
			if r.Intn(3) == 0 {
				m.Latency = int64(r.Intn(1000)) * 1000
			}
		}
		h.Mounts = append(h.Mounts, m)
	}
	return h
}

// callNames are the calls the generator makes (all of prog's table).
var callNames = func() []string {
	var out []string
	for _, s := range prog.Syscalls() {
		out = append(out, s.Name)
	}
	return out
}()

// genCall makes one call for the state's end. task, when not "", is the
// task to make it on; otherwise one is chosen (or started).
func genCall(r *rand.Rand, s *state, cfg GenConfig, task string) *prog.Call {
	if task == "" {
		task = pickTask(r, s)
	}
	if task == "" {
		return nil
	}
	t := s.tasks[task]
	if t == nil {
		t = &tstate{}
	}
	for try := 0; try < 20; try++ {
		name := callNames[r.Intn(len(callNames))]
		// Half the time, a call that takes a resource the task has
		// (syzkaller's choice table in its simplest form: calls are
		// related through the resource types they make and use).
		if r.Intn(2) == 0 {
			if users := resourceUsers(s, t); len(users) > 0 {
				name = users[r.Intn(len(users))]
			}
		}
		// Resources make the other calls do something: a task with no
		// mapping or file gets one more often. This favours no call
		// sequence over another, only calls with something to act on.
		if r.Intn(3) == 0 {
			if len(s.visible(t, prog.ResAddr)) == 0 {
				name = "mmap"
			} else if len(s.visible(t, prog.ResFD)) == 0 && len(s.p.Header.Mounts) > 0 {
				name = "open"
			}
		}
		if name == "exit" && (r.Intn(4) != 0 || s.tasks[task] == nil) {
			continue
		}
		sig := prog.LookupSyscall(name)
		c := &prog.Call{Task: task, Name: name, Def: sig.Ret != prog.ResNone, Args: make([]prog.Arg, len(sig.Params))}
		ok := true
		for j, par := range sig.Params {
			a, good := genArg(r, s, t, cfg, sig, par)
			if !good {
				ok = false
				break
			}
			c.Args[j] = a
		}
		if !ok {
			continue
		}
		if name == "mmap" && c.Args[2].Val != 0 && c.Args[3].Kind == prog.ArgNum {
			c.Args[2].Val = 0 // shared anonymous mappings are not modeled
		}
		if len(c.Args) == 0 {
			c.Args = nil
		}
		return c
	}
	return &prog.Call{Task: task, Name: "sleep", Args: []prog.Arg{prog.Num(uint64(genDur(r, cfg)))}}
}

// callsTaking lists, for each resource type, the calls with a parameter
// of that type.
var callsTaking = func() map[prog.ResType][]string {
	out := map[prog.ResType][]string{}
	for _, sig := range prog.Syscalls() {
		seen := map[prog.ResType]bool{}
		for _, par := range sig.Params {
			var typ prog.ResType
			switch par.Kind {
			case prog.KindAddr:
				typ = prog.ResAddr
			case prog.KindFD:
				typ = prog.ResFD
			case prog.KindPages:
				typ = prog.ResPages
			default:
				continue
			}
			if !seen[typ] {
				seen[typ] = true
				out[typ] = append(out[typ], sig.Name)
			}
		}
	}
	return out
}()

// resourceUsers lists the calls that can use a resource task t sees.
func resourceUsers(s *state, t *tstate) []string {
	var out []string
	for _, typ := range []prog.ResType{prog.ResAddr, prog.ResFD, prog.ResPages} {
		if len(s.visible(t, typ)) > 0 {
			out = append(out, callsTaking[typ]...)
		}
	}
	return out
}

// pickRes chooses one of the resources: the newest half the time (what
// a program just made is what its next calls tend to use), else any.
func pickRes(r *rand.Rand, rs []int) int {
	if r.Intn(2) == 0 {
		return rs[len(rs)-1]
	}
	return rs[r.Intn(len(rs))]
}

// pickTask chooses a live task, or starts a new top-level one.
func pickTask(r *rand.Rand, s *state) string {
	var live []string
	for _, name := range s.order {
		if !s.tasks[name].exited {
			live = append(live, name)
		}
	}
	if len(live) == 0 || (len(s.order) < 3 && r.Intn(8) == 0) {
		return s.newTaskName(r, "t")
	}
	return live[r.Intn(len(live))]
}

// genSize draws a size: mostly a small number of pages, sometimes a page
// plus or minus a little, sometimes anything up to cfg.MaxSize.
func genSize(r *rand.Rand, cfg GenConfig) uint64 {
	var v uint64
	switch r.Intn(8) {
	case 0:
		v = uint64(r.Int63n(int64(cfg.MaxSize) + 1))
	case 1:
		v = uint64(1+r.Intn(8))*page + uint64(r.Intn(3)-1)
	case 2:
		v = uint64(1) << uint(12+r.Intn(13))
	default:
		v = uint64(1+r.Intn(64)) * page
	}
	return clampSize(v, cfg)
}

func clampSize(v uint64, cfg GenConfig) uint64 {
	if v > cfg.MaxSize {
		v = cfg.MaxSize
	}
	return v
}

func genDur(r *rand.Rand, cfg GenConfig) int64 {
	switch r.Intn(4) {
	case 0:
		return 0
	case 1:
		return int64(r.Intn(1000)) * 1000
	default:
		return int64(r.Int63n(cfg.MaxDur/1e6+1)) * 1e6
	}
}

// genPath is a path on one of the mounts (rarely off them).
func genPath(r *rand.Rand, s *state) string {
	m := s.p.Header.Mounts
	if len(m) == 0 || r.Intn(16) == 0 {
		return "/nofs/f" + fmt.Sprint(r.Intn(2))
	}
	return m[r.Intn(len(m))].Path + "/f" + fmt.Sprint(r.Intn(3))
}

// genArg draws one argument by its parameter's type. It fails only when
// a resource is required (free_pages) and none is visible.
func genArg(r *rand.Rand, s *state, t *tstate, cfg GenConfig, sig *prog.Syscall, par prog.Param) (prog.Arg, bool) {
	// An optional argument is left out two times in three; an optional
	// resource (mmap's fd=) is given half the time when there is one.
	if par.Optional && par.Kind != prog.KindBool {
		skip := r.Intn(3) != 0
		if par.Kind == prog.KindFD && len(s.visible(t, prog.ResFD)) > 0 {
			skip = r.Intn(2) == 0
		}
		if skip {
			return prog.Num(par.Default), true
		}
	}
	switch par.Kind {
	case prog.KindSize:
		if par.Name == "stride" {
			return prog.Num(uint64(1+r.Intn(4)) * page), true
		}
		return prog.Num(genSize(r, cfg)), true
	case prog.KindOffset:
		v := genSize(r, cfg)
		if par.Name == "off" {
			v &^= page - 1
		}
		if r.Intn(16) == 0 {
			return prog.Num(-v), true
		}
		return prog.Num(v), true
	case prog.KindInt:
		return prog.Num(uint64(genInt(r, sig, par, s.sysctl, s.p.Header.Mem))), true
	case prog.KindAddr:
		addrs := s.visible(t, prog.ResAddr)
		if len(addrs) == 0 || r.Intn(16) == 0 {
			return prog.Num(uint64(r.Intn(4)) * page), true
		}
		n := pickRes(r, addrs)
		var off uint64
		if sz := s.res[n].size; sz > 0 && r.Intn(2) == 0 {
			off = uint64(r.Int63n(int64(sz))) &^ (page - 1)
			if r.Intn(8) == 0 {
				off += uint64(r.Intn(page))
			}
		}
		return prog.Ref(n, off), true
	case prog.KindFD:
		fds := s.visible(t, prog.ResFD)
		if len(fds) == 0 || r.Intn(16) == 0 {
			if par.Optional {
				return prog.Num(par.Default), true
			}
			return prog.Num(uint64(int64(r.Intn(8) - 1))), true
		}
		return prog.Ref(pickRes(r, fds), 0), true
	case prog.KindPages:
		pages := s.visible(t, prog.ResPages)
		if len(pages) == 0 {
			return prog.Arg{}, false
		}
		return prog.Ref(pickRes(r, pages), 0), true
	case prog.KindDuration:
		return prog.Num(uint64(genDur(r, cfg))), true
	case prog.KindPath:
		return prog.Str(genPath(r, s)), true
	case prog.KindTask:
		return prog.Str(s.newTaskName(r, "c")), true
	case prog.KindSysctl:
		s.sysctl = sysctlNames[r.Intn(len(sysctlNames))]
		return prog.Str(s.sysctl), true
	case prog.KindEnum:
		if par.Numeric && r.Intn(16) == 0 {
			return prog.Num(uint64(r.Intn(200))), true
		}
		return prog.Num(par.Words[r.Intn(len(par.Words))].Value), true
	case prog.KindFlags:
		var v uint64
		for _, w := range par.Words {
			if r.Intn(3) == 0 {
				v |= w.Value
			}
		}
		return prog.Num(v), true
	case prog.KindGFP:
		return prog.Num(genGFP(r)), true
	case prog.KindBool:
		return prog.Num(uint64(r.Intn(2))), true
	}
	return prog.Num(0), true
}

// sysctlNames are the vm sysctls the sysctl call writes.
var sysctlNames = []string{
	"vm.swappiness", "vm.min_free_kbytes", "vm.dirty_ratio", "vm.dirty_bytes",
	"vm.dirty_background_ratio", "vm.dirty_background_bytes",
	"vm.dirty_expire_centisecs", "vm.dirty_writeback_centisecs",
}

// sysctlValue draws a value in the sysctl's own unit and range: a
// percentage, bytes or kilobytes of the machine's memory, centiseconds.
func sysctlValue(r *rand.Rand, name string, mem uint64) int64 {
	if mem == 0 {
		mem = 1 << 30 // kernel.DefaultConfig's
	}
	switch {
	case strings.HasSuffix(name, "ratio"), name == "vm.swappiness":
		return int64(r.Intn(101))
	case strings.HasSuffix(name, "bytes") && name != "vm.min_free_kbytes":
		return 8192 + r.Int63n(int64(mem))
	case name == "vm.min_free_kbytes":
		// What an administrator would set (minFreeKbytesLimit).
		return r.Int63n(minFreeKbytesLimit(mem) + 1)
	}
	return int64(r.Intn(3001))
}

func genInt(r *rand.Rand, sig *prog.Syscall, par prog.Param, name string, mem uint64) int64 {
	var v int64
	switch {
	case sig.Name == "alloc_pages" && par.Name == "order":
		v = int64(r.Intn(11))
		if r.Intn(32) == 0 {
			v = int64(r.Intn(64))
		}
	case sig.Name == "alloc_pages" && par.Name == "node":
		v = int64(r.Intn(3) - 1)
	case sig.Name == "drop_caches":
		v = int64(r.Intn(5))
	case sig.Name == "oom_score_adj":
		// The range's ends (OOM_SCORE_ADJ_MIN protects the task), a
		// few values inside, and one past each end (EINVAL).
		v = []int64{-1001, -1000, -999, -500, 0, 300, 1000, 1001}[r.Intn(8)]
	case par.Name == "token":
		v = int64(1 + r.Intn(100))
	case sig.Name == "sysctl":
		v = []int64{0, 1, 10, 60, 100, 1024, 8192, 1 << 20, 4 << 20, -1}[r.Intn(10)]
		if r.Intn(2) == 0 || name == "vm.min_free_kbytes" {
			v = sysctlValue(r, name, mem)
		}
	default:
		v = int64(r.Intn(16)) - 1
	}
	if v < par.Min {
		v = par.Min
	}
	if v > par.Max {
		v = par.Max
	}
	return v
}

// gfpBases and gfpMods are the GFP masks a driver passes: the generator
// draws one base and a few modifier bits.
var (
	gfpBases = []mm.GFP{mm.GFP_KERNEL, mm.GFP_ATOMIC, mm.GFP_NOFS, mm.GFP_NOIO, mm.GFP_USER,
		mm.GFP_HIGHUSER, mm.GFP_HIGHUSER_MOVABLE, mm.GFP_TRANSHUGE, mm.GFP_NOWAIT}
	gfpMods = []mm.GFP{mm.GFP_COMP, mm.GFP_ZERO, mm.GFP_NOWARN, mm.GFP_MOVABLE,
		mm.GFP_NORETRY, mm.GFP_REPEAT, mm.GFP_NOFAIL, mm.GFP_RECLAIMABLE, mm.GFP_HIGH, mm.GFP_COLD}
)

func genGFP(r *rand.Rand) uint64 {
	v := gfpBases[r.Intn(len(gfpBases))]
	for i := r.Intn(3); i > 0; i-- {
		v |= gfpMods[r.Intn(len(gfpMods))]
	}
	return uint64(v)
}

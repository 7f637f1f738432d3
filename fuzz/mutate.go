// SPDX-License-Identifier: GPL-2.0-only

package fuzz

import (
	"math/rand"

	"pagesim/prog"
)

// Mutate returns a random variation of p; p is not changed. A mutation
// inserts a generated call, removes a call, splices in the calls of a
// freshly generated program, changes one argument, moves a call to
// another task, or changes the machine's seed. The result validates: a
// mutation that breaks the program (a resource used out of scope) is
// retried, and after a few failures p's clone is returned.
func Mutate(r *rand.Rand, p *prog.Program, cfg GenConfig) *prog.Program {
	cfg = cfg.withDefaults()
	for try := 0; try < 16; try++ {
		q := p.Clone()
		var ok bool
		switch op := r.Intn(12); {
		case op < 3:
			ok = mutInsert(r, q, cfg)
		case op < 5:
			ok = mutRemove(r, q)
		case op < 6:
			q, ok = Splice(r, q, Generate(r, cfg)), true
		case op < 10:
			ok = mutArg(r, q, cfg)
		case op < 11:
			ok = mutMove(r, q)
		default:
			q.Header.Seed, q.Header.HasSeed = uint64(r.Int63n(1<<32)), true
			ok = true
		}
		if max := 2 * cfg.Calls; ok && len(q.Calls) > max {
			q.Calls = q.Calls[:max]
		}
		if ok && prog.Validate(q) == nil {
			return q
		}
	}
	return p.Clone()
}

// forRefs calls f on every resource reference of the calls.
func forRefs(calls []*prog.Call, f func(a *prog.Arg)) {
	for _, c := range calls {
		for j := range c.Args {
			if c.Args[j].Kind == prog.ArgRes {
				f(&c.Args[j])
			}
		}
	}
}

// defsBefore is the number of resources the first i calls define: the
// number the next defining call's resource gets.
func defsBefore(p *prog.Program, i int) int {
	n := 0
	for _, c := range p.Calls[:i] {
		if c.Def {
			n++
		}
	}
	return n
}

// insertCall puts c before call i, renumbering the later resources.
func insertCall(p *prog.Program, i int, c *prog.Call) {
	if c.Def {
		k := defsBefore(p, i)
		forRefs(p.Calls[i:], func(a *prog.Arg) {
			if a.Res >= k {
				a.Res++
			}
		})
	}
	p.Calls = append(p.Calls[:i], append([]*prog.Call{c}, p.Calls[i:]...)...)
}

// removeCall deletes call i, renumbering the later resources. It fails
// when a later call uses the resource the call defines.
func removeCall(p *prog.Program, i int) bool {
	c := p.Calls[i]
	if c.Def {
		k := defsBefore(p, i)
		used := false
		forRefs(p.Calls[i+1:], func(a *prog.Arg) { used = used || a.Res == k })
		if used {
			return false
		}
		forRefs(p.Calls[i+1:], func(a *prog.Arg) {
			if a.Res > k {
				a.Res--
			}
		})
	}
	p.Calls = append(p.Calls[:i], p.Calls[i+1:]...)
	return true
}

func mutInsert(r *rand.Rand, p *prog.Program, cfg GenConfig) bool {
	i := r.Intn(len(p.Calls) + 1)
	s := analyze(p, i)
	task := ""
	if i > 0 && r.Intn(2) == 0 {
		task = p.Calls[r.Intn(i)].Task
		if t := s.tasks[task]; t == nil || t.exited {
			task = ""
		}
	}
	c := genCall(r, s, cfg, task)
	if c == nil {
		return false
	}
	insertCall(p, i, c)
	return true
}

func mutRemove(r *rand.Rand, p *prog.Program) bool {
	if len(p.Calls) < 2 {
		return false
	}
	return removeCall(p, r.Intn(len(p.Calls)))
}

// mutMove gives a call to another task of the program.
func mutMove(r *rand.Rand, p *prog.Program) bool {
	tasks := p.Tasks()
	if len(tasks) < 2 || len(p.Calls) == 0 {
		return false
	}
	c := p.Calls[r.Intn(len(p.Calls))]
	to := tasks[r.Intn(len(tasks))]
	if to == c.Task {
		return false
	}
	c.Task = to
	return true
}

// mutArg changes one argument of one call, by its parameter's type.
func mutArg(r *rand.Rand, p *prog.Program, cfg GenConfig) bool {
	if len(p.Calls) == 0 {
		return false
	}
	i := r.Intn(len(p.Calls))
	c := p.Calls[i]
	if len(c.Args) == 0 {
		return false
	}
	sig := prog.LookupSyscall(c.Name)
	j := r.Intn(len(c.Args))
	par, a := sig.Params[j], &c.Args[j]
	switch par.Kind {
	case prog.KindTask:
		return false // the child's name: renaming it changes nothing
	case prog.KindSize, prog.KindOffset:
		if a.Kind == prog.ArgNum {
			a.Val = mutSize(r, a.Val, cfg)
			if par.Name == "off" {
				a.Val &^= page - 1
			}
			return true
		}
	case prog.KindDuration:
		switch r.Intn(3) {
		case 0:
			a.Val *= 2
		case 1:
			a.Val /= 2
		default:
			a.Val = uint64(genDur(r, cfg))
		}
		if int64(a.Val) > cfg.MaxDur || int64(a.Val) < 0 {
			a.Val = uint64(cfg.MaxDur)
		}
		return true
	case prog.KindAddr:
		if a.Kind == prog.ArgRes && r.Intn(2) == 0 {
			a.Val = mutSize(r, a.Val, cfg)
			return true
		}
	case prog.KindBool:
		a.Val ^= 1
		return true
	}
	s := analyze(p, i)
	if c.Name == "sysctl" {
		s.sysctl = c.Args[0].Str // the value is drawn in its unit
	}
	na, ok := genArg(r, s, s.task(c.Task), cfg, sig, par)
	if !ok {
		return false
	}
	*a = na
	if par.Kind == prog.KindSysctl {
		// A new sysctl gets a new value in its own unit.
		s.sysctl = na.Str
		v, _ := genArg(r, s, s.task(c.Task), cfg, sig, sig.Params[1])
		c.Args[1] = v
	}
	return true
}

// mutSize changes a size: doubled, halved, a page more or less, or new.
func mutSize(r *rand.Rand, v uint64, cfg GenConfig) uint64 {
	switch r.Intn(5) {
	case 0:
		v *= 2
	case 1:
		v /= 2
	case 2:
		v += page
	case 3:
		if v >= page {
			v -= page
		}
	default:
		v = genSize(r, cfg)
	}
	return clampSize(v, cfg)
}

// Splice returns a's header and first calls followed by the calls of b
// from a random point on: b's resources are renumbered to follow a's,
// and b's children renamed where a already has a task of that name. A
// reference to a resource b defined before the cut is pointed at one of
// the same type in a, or left to make the result invalid (Mutate then
// tries again).
func Splice(r *rand.Rand, a, b *prog.Program) *prog.Program {
	q := a.Clone()
	q.Calls = q.Calls[:r.Intn(len(q.Calls)+1)]
	if len(b.Calls) == 0 {
		return q
	}
	cut := r.Intn(len(b.Calls))
	bc := b.Clone()
	seg := bc.Calls[cut:]
	s := analyze(q, len(q.Calls))
	base, bbase := len(s.res), defsBefore(bc, cut)
	// Rename b's children that clash with a's tasks (to names neither
	// program uses).
	for _, c := range seg {
		s.names[c.Task] = true
		if c.Name == "fork" {
			s.names[c.Args[0].Str] = true
		}
	}
	rename := map[string]string{}
	for _, c := range seg {
		if c.Name == "fork" {
			if child := c.Args[0].Str; s.tasks[child] != nil {
				rename[child] = s.newTaskName(r, "c")
			}
		}
	}
	// parent says whose view of a's resources each of b's tasks has: a
	// child forked in the segment sees what its parent saw.
	parent := map[string]string{}
	for _, c := range seg {
		if n, ok := rename[c.Task]; ok {
			c.Task = n
		}
		if c.Name == "fork" {
			if n, ok := rename[c.Args[0].Str]; ok {
				c.Args[0].Str = n
			}
			parent[c.Args[0].Str] = c.Task
		}
	}
	view := func(task string) *tstate {
		for i := 0; i < 64; i++ {
			if t := s.tasks[task]; t != nil {
				return t
			}
			p, ok := parent[task]
			if !ok {
				break
			}
			task = p
		}
		return nil
	}
	bsig := analyze(bc, len(bc.Calls))
	for _, c := range seg {
		for j := range c.Args {
			x := &c.Args[j]
			if x.Kind != prog.ArgRes {
				continue
			}
			if x.Res >= bbase {
				x.Res = x.Res - bbase + base
				continue
			}
			// A resource from before the cut: one of a's of that
			// type that the task sees, or a literal.
			typ := bsig.res[x.Res].typ
			var same []int
			if t := view(c.Task); t != nil {
				same = s.visible(t, typ)
			}
			switch {
			case len(same) > 0:
				x.Res = same[r.Intn(len(same))]
			case typ == prog.ResAddr:
				*x = prog.Num(x.Val)
			case typ == prog.ResFD:
				*x = prog.Num(3)
			default:
				x.Res = -1 // free_pages needs pages: invalid
			}
		}
	}
	q.Calls = append(q.Calls, seg...)
	return q
}

// SPDX-License-Identifier: GPL-2.0-only

package prog

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"pagesim/kernel"
	"pagesim/sim"
)

// randomProgram builds a valid program of n calls with arguments drawn
// from each parameter type's edge cases: the executor must turn every one
// into an errno or a modeled kernel outcome, never a Go panic.
func randomProgram(r *sim.Rand, n int) *Program {
	p := &Program{Header: Header{Mem: 128 << 20, Swap: 32 << 20, Mounts: []Mount{
		{Type: "ext4", Path: "/mnt/e", Size: 64 << 30}, {Type: "tmpfs", Path: "/mnt/t", Size: 16 << 20}}}}
	type task struct {
		name   string
		scope  map[ResType][]int
		exited bool
	}
	tasks := []*task{{name: "main", scope: map[ResType][]int{}}}
	pick := func(xs []uint64) uint64 { return xs[r.Intn(len(xs))] }
	sizes := []uint64{0, 1, 4095, 4096, 8192, 64 << 10, 1 << 20, 8 << 20, 1 << 30, math.MaxUint64, math.MaxUint64 - 4095, 1 << 63}
	offsets := []uint64{0, 4096, 8192, negOne, math.MaxUint64 - 4095, 1 << 62, 1 << 63, 1}
	nres := 0
	for len(p.Calls) < n {
		var live []*task
		for _, t := range tasks {
			if !t.exited {
				live = append(live, t)
			}
		}
		if len(live) == 0 {
			break
		}
		t := live[r.Intn(len(live))]
		sig := syscalls[r.Intn(len(syscalls))]
		c := &Call{Task: t.name, Name: sig.Name}
		ok := true
		for _, prm := range sig.Params {
			a := Num(prm.Default)
			switch prm.Kind {
			case KindSize:
				a = Num(pick(sizes))
			case KindOffset:
				a = Num(pick(offsets))
			case KindInt:
				vals := []int64{prm.Min, prm.Max, 0, 1, -1, 2, 3, 4}
				v := vals[r.Intn(len(vals))]
				if prm.Name == "order" {
					v = int64(r.Intn(13))
				}
				a = Num(uint64(max(prm.Min, min(prm.Max, v))))
			case KindAddr, KindFD, KindPages:
				want := map[Kind]ResType{KindAddr: ResAddr, KindFD: ResFD, KindPages: ResPages}[prm.Kind]
				if rs := t.scope[want]; len(rs) > 0 && r.Intn(4) != 0 {
					a = Ref(rs[r.Intn(len(rs))], 0)
					if prm.Kind == KindAddr && r.Bool() {
						a.Val = pick([]uint64{4096, 1, 1 << 20, 1 << 40})
					}
				} else if prm.Kind == KindPages {
					ok = false
				} else if prm.Kind == KindAddr {
					a = Num(pick([]uint64{0, 0x1000, 0x7ffff7fff000, math.MaxUint64, 1 << 47}))
				} else if !prm.Optional || r.Bool() {
					a = Num(pick([]uint64{negOne, 0, 3, 4, 1 << 30}))
				}
			case KindDuration:
				a = Num(pick([]uint64{0, 1000, 1e6}))
			case KindPath:
				a = Str([]string{"/mnt/e/a", "/mnt/t/b", "", "/nope/x", "/mnt/e", "/mnt/e/" + strings.Repeat("x", 300)}[r.Intn(6)])
			case KindTask:
				name := "k" + strconv.Itoa(len(tasks))
				a = Str(name)
			case KindSysctl:
				a = Str(kernel.Sysctls()[r.Intn(len(kernel.Sysctls()))].Name)
			case KindEnum:
				a = Num(prm.Words[r.Intn(len(prm.Words))].Value)
				if prm.Numeric && r.Intn(4) == 0 {
					a = Num(uint64(int64(r.Intn(200) - 1)))
				}
			case KindFlags:
				a = Num(uint64(r.Intn(8)))
			case KindGFP:
				gfps := []string{"GFP_KERNEL", "GFP_ATOMIC", "GFP_KERNEL|__GFP_COMP", "GFP_HIGHUSER_MOVABLE", "GFP_NOWAIT", "GFP_NOFS|__GFP_NOWARN|__GFP_NORETRY", "__GFP_DMA|__GFP_HIGHMEM"}
				var v uint64
				for _, w := range strings.Split(gfps[r.Intn(len(gfps))], "|") {
					x, _ := parseGFPWord(w)
					v |= x
				}
				a = Num(v)
			case KindBool:
				a = Num(uint64(r.Intn(2)))
			}
			c.Args = append(c.Args, a)
		}
		if !ok || sig.Name == "exit" && r.Intn(3) != 0 {
			continue
		}
		if sig.Name == "mmap" && c.Args[2].Val != 0 && c.Args[3].Kind == ArgNum && c.Args[3].Val == negOne {
			c.Args[2].Val = 0 // no shared anonymous mappings
		}
		if sig.Ret != ResNone && r.Intn(5) != 0 {
			c.Def = true
			t.scope[sig.Ret] = append(t.scope[sig.Ret], nres)
			nres++
		}
		switch sig.Name {
		case "fork":
			child := &task{name: c.Args[0].Str, scope: map[ResType][]int{}}
			for k, v := range t.scope {
				child.scope[k] = append([]int(nil), v...)
			}
			tasks = append(tasks, child)
		case "exit":
			t.exited = true
		}
		p.Calls = append(p.Calls, c)
	}
	return p
}

// TestRunRandomArgs runs programs full of bad and edge-case arguments:
// every call must return (an errno or a result) without a Go panic in the
// executor or the model, and the program must round-trip. PROG_RANDOM_RUNS
// sets how many programs; PROG_DEBUG prints each one and its run time.
func TestRunRandomArgs(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 30
	}
	if env := os.Getenv("PROG_RANDOM_RUNS"); env != "" {
		n, _ = strconv.Atoi(env)
	}
	r := sim.NewRand(42)
	for i := 0; i < n; i++ {
		p := randomProgram(r, 30)
		if err := Validate(p); err != nil {
			t.Fatalf("generated program does not validate: %v\n%s", err, p)
		}
		q, err := Parse("gen", Print(p))
		if err != nil || !Equal(p, q) {
			t.Fatalf("generated program does not round-trip: %v\n%s", err, p)
		}
		if os.Getenv("PROG_DEBUG") != "" {
			fmt.Fprintf(os.Stderr, "=== program %d\n%s", i, p)
		}
		start := time.Now()
		res, err := Run(p, Options{Override: func(c *kernel.Config) { c.Seed = uint64(i) }})
		if os.Getenv("PROG_DEBUG") != "" {
			fmt.Fprintf(os.Stderr, "=== took %v\n", time.Since(start))
		}
		if err != nil {
			t.Fatalf("%v\n%s", err, p)
		}
		if res.Kernel.Err != nil {
			t.Fatalf("program %d: %v\n%s", i, res.Kernel.Err, p)
		}
		for j, cr := range res.Calls {
			if strings.HasPrefix(cr.Errno, "EIO (") {
				t.Errorf("program %d: %s: non-errno error %s", i, p.CallString(j), cr.Errno)
			}
		}
		if res.Kernel.Oops == nil && (res.DataIntegrityErrors > 0 || len(res.Invariants) > 0) {
			t.Logf("program %d: integrity %d invariants %v\n%s", i, res.DataIntegrityErrors, res.Invariants, p)
		}
	}
}

// TestDeadline checks Options.Deadline: a run past it stops, says
// TimedOut, is not a failure of the kernel and is not checked at the end.
func TestDeadline(t *testing.T) {
	p, err := Parse("p", []byte("mem 64M\n\na: r0 = mmap(8M, rw)\nrepeat 2000 {\na: sleep(1ms)\n}\na: touch(r0, 8M, read)\n"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(p, Options{Deadline: time.Now().Add(-time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	if !res.TimedOut || res.Kernel.Failed() || res.Invariants != nil || res.Calls[len(res.Calls)-1].Executed {
		t.Errorf("past its deadline: TimedOut %v, kernel %+v, invariants %v, last call executed %v",
			res.TimedOut, res.Kernel, res.Invariants, res.Calls[len(res.Calls)-1].Executed)
	}
	res, err = Run(p, Options{Deadline: time.Now().Add(time.Minute)})
	if err != nil || res.TimedOut || !res.Calls[len(res.Calls)-1].Executed {
		t.Errorf("within its deadline: TimedOut %v, err %v", res.TimedOut, err)
	}
}

// SPDX-License-Identifier: GPL-2.0-only

package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"pagesim/kernel"
	"pagesim/mm"
)

// cmdBench runs one anonymous-fault workload twice: in the simulator and
// on the host. The workload maps size bytes of private anonymous memory
// and writes one byte to every 4 KiB page of it, so each page takes one
// write fault that allocates and zeroes a page.
//
// It prints both rates in faults per host wall-clock second and
//
//	ratio: N
//
// where N = simulated faults/s divided by host faults/s: how many times
// faster (N > 1) or slower (N < 1) the model takes an anonymous fault, in
// host time, than the host's own kernel does. It measures the cost of the
// model, not of Linux v3.16: the model keeps no page contents (it does not
// zero 4 KiB per fault) and has no TLB or cache effects, while the host
// pays for both, so N above 1 is expected for this workload. The simulated
// time is the machine's run (the scheduler, kswapd, the vmstat timers),
// not its boot; the host time includes the mmap and munmap calls.
func cmdBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mem := uint64(1 << 30)
	size := uint64(256 << 20)
	fs.Var(sizeFlag{&mem}, "mem", "memory size of the simulated machine (default 1G)")
	fs.Var(sizeFlag{&size}, "size", "size of the anonymous mapping to fault in (default 256M)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "pagesim bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if size < mm.PAGE_SIZE {
		fmt.Fprintf(stderr, "pagesim bench: --size %d: want at least one page (4K)\n", size)
		return 2
	}
	pages := size / mm.PAGE_SIZE

	simDur, simFaults, err := benchSim(mem, size)
	if err != nil {
		fmt.Fprintf(stderr, "pagesim bench: simulator: %v\n", err)
		return benchErrStatus(err)
	}
	hostDur, hostMinflt, err := benchHost(size)
	if err != nil {
		fmt.Fprintf(stderr, "pagesim bench: host: %v\n", err)
		return 1
	}
	simRate := float64(simFaults) / simDur.Seconds()
	hostRate := float64(pages) / hostDur.Seconds()
	fmt.Fprintf(stdout, "workload: mmap %d KiB anonymous private, write one byte per 4 KiB page (%d pages)\n", size>>10, pages)
	fmt.Fprintf(stdout, "simulator: %d faults in %v: %.0f faults/s (machine --mem %dM, kernel %s)\n", simFaults, simDur.Round(time.Microsecond), simRate, mem>>20, kernel.DefaultKernel)
	counted := ""
	if hostMinflt > 0 {
		// Other goroutines (the runtime) may fault too; the rate is
		// per page touched, as in the model.
		counted = fmt.Sprintf(" (getrusage counted %d minor faults)", hostMinflt)
	}
	fmt.Fprintf(stdout, "host: %d faults in %v: %.0f faults/s%s\n", pages, hostDur.Round(time.Microsecond), hostRate, counted)
	fmt.Fprintf(stdout, "ratio: %.2f\n", simRate/hostRate)
	return 0
}

// errBenchBoot marks a simulated machine that did not boot (bad --mem):
// a usage error.
var errBenchBoot = errors.New("boot")

func benchErrStatus(err error) int {
	if errors.Is(err, errBenchBoot) {
		return 2
	}
	return 1
}

// benchSim boots a machine with mem bytes and runs one process that maps
// size bytes anonymous and write-touches every page. It returns the host
// wall-clock time of the run and the number of page faults it took
// (pgfault's delta).
func benchSim(mem, size uint64) (time.Duration, uint64, error) {
	cfg := kernel.DefaultConfig()
	cfg.MemBytes = mem
	m, err := kernel.Boot(cfg)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %v", errBenchBoot, err)
	}
	defer m.Close()
	before := readVmstat(m)
	var werr error
	m.Spawn("bench", func(p *kernel.Process) {
		addr, err := p.Mmap(size, true)
		if err != nil {
			werr = fmt.Errorf("mmap: %v", err)
			return
		}
		if err := p.Touch(addr, size, mm.PAGE_SIZE, true, 1); err != nil {
			werr = fmt.Errorf("touch: %v", err)
		}
	})
	start := time.Now()
	res := m.Run(0)
	d := time.Since(start)
	switch {
	case res.Oops != nil:
		return 0, 0, fmt.Errorf("the machine stopped: %s", res.Oops.Error())
	case res.Err != nil:
		return 0, 0, res.Err
	case werr != nil:
		return 0, 0, werr
	}
	after := readVmstat(m)
	faults := uint64(after["pgfault"] - before["pgfault"])
	if faults == 0 {
		faults = size / mm.PAGE_SIZE
	}
	return d, faults, nil
}

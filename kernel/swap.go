// SPDX-License-Identifier: GPL-2.0-only

package kernel

import (
	"errors"
	"fmt"

	"pagesim/fs"
	"pagesim/mm"
)

// EBUSY is the errno of swapon on a device already in use.
var EBUSY = errors.New("EBUSY")

// swapOnAtBoot makes the swap disk, as mkswap formats it, and swaps on it
// with the default priority, as an init script's swapon -a does.
func (m *Machine) swapOnAtBoot(sizeBytes uint64) error {
	n := 0
	for _, sb := range m.FS.Supers() {
		if sb.Dev != nil {
			n++
		}
	}
	m.SwapDev = fs.NewBlockDevice("sd"+string(rune('a'+n)), DefaultDiskLatencyNS, m.Sched, m.MM)
	if _, err := m.MM.SwapOn(m.SwapDev, sizeBytes, -1); err != nil {
		return fmt.Errorf("swapon %s: %v", m.SwapDev, err)
	}
	return nil
}

// SwapOff is swapoff(2) of the machine's swap disk: every page in swap
// comes back into memory first.
func (p *Process) SwapOff() error {
	if p.m.SwapDev == nil {
		return EINVAL
	}
	return mapSwapErr(p.m.MM.SwapOff(p.m.SwapDev))
}

// SwapOn is swapon(2) of the machine's swap disk, whose mkswap header
// spans Config.SwapBytes; priority < 0 asks for the default.
func (p *Process) SwapOn(priority int) error {
	if p.m.SwapDev == nil {
		return EINVAL
	}
	_, err := p.m.MM.SwapOn(p.m.SwapDev, p.m.Cfg.SwapBytes, priority)
	return mapSwapErr(err)
}

func mapSwapErr(err error) error {
	switch err {
	case mm.EBUSY:
		return EBUSY
	}
	return mapMMErr(err)
}

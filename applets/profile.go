package applets

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// startProfile is ours, for performance work: with CYREPL_CPUPROFILE=PATH
// in the environment an applet writes a CPU profile to PATH.<pid> (a
// service's children each write their own). It returns the function that
// ends it.
func startProfile() func() {
	path := os.Getenv("CYREPL_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(fmt.Sprintf("%s.%d", path, os.Getpid()))
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() { pprof.StopCPUProfile(); f.Close() }
}

package deploy

import (
	"embed"
	"io/fs"
)

//go:embed runtime/*.c runtime/*.h
var runtimeFS embed.FS

// Runtime returns the C runtime's sources: ti_dsp.h (the public API) and
// the .c and .h files that implement it. Compile every .c file with the
// library; none of them allocates memory.
func Runtime() fs.FS {
	sub, err := fs.Sub(runtimeFS, "runtime")
	if err != nil {
		panic("deploy: embedded runtime is missing: " + err.Error())
	}
	return sub
}

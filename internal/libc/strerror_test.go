package libc

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"testing"
)

func TestStrerror(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{syscall.EADDRINUSE, "Address already in use"},
		{fmt.Errorf("Error binding socket: %w", syscall.EADDRINUSE), "Error binding socket: Address already in use"},
		{&os.PathError{Op: "open", Path: "/x", Err: syscall.ENOENT}, "open /x: No such file or directory"},
		{syscall.ERANGE, "Numerical result out of range"},
		{syscall.EINVAL, "Invalid argument"},
		{errors.New("Address must contain port number: x"), "Address must contain port number: x"},
	} {
		if got := Strerror(tc.err); got != tc.want {
			t.Errorf("Strerror(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}

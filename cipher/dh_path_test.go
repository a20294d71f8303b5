package cipher

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestDHPathIsLive checks that DHPath names what the exponentiations run,
// and that under SPIPED_NOASM=1 that is the portable code.
func TestDHPathIsLive(t *testing.T) {
	t.Logf("DHPath() = %q, Path() = %q, SPIPED_NOASM=%q", DHPath(), Path(), os.Getenv("SPIPED_NOASM"))
	if DHPath() != dhPathName(dhIFMA, dhADX, dhAVX2) {
		t.Fatalf("DHPath() = %q, but the exponentiations use IFMA: %v, montMul uses ADX: %v, ctSelect uses AVX2: %v",
			DHPath(), dhIFMA, dhADX, dhAVX2)
	}
	if os.Getenv("SPIPED_NOASM") == "1" {
		if DHPath() != "generic" || Path() != "generic" {
			t.Fatalf("with SPIPED_NOASM=1: DHPath() = %q, Path() = %q; want both generic", DHPath(), Path())
		}
	}
}

// noAsmChildTests are the tests TestDHNoAsm reruns under SPIPED_NOASM=1:
// the path check, the exponentiations against math/big and the §8
// vectors, and the scratch checks.
const noAsmChildTests = "^(TestDHPathIsLive|TestDHPublicAgainstBig|TestDHSharedAgainstBig|TestDHAgreement|TestVectorsForwardSecret|TestDHScratchCleared|TestHandshakeLeavesNoSharedSecret)$"

// TestDHNoAsm runs this test binary again with SPIPED_NOASM=1, since the
// variable is read once at start-up: there DHPath must be "generic" and the
// portable exponentiations must still match math/big and the test vectors.
func TestDHNoAsm(t *testing.T) {
	if os.Getenv("SPIPED_NOASM") == "1" {
		t.Skip("SPIPED_NOASM=1 already: TestDHPathIsLive and the vectors run on the portable path in this process")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Skipf("cannot find the test binary to rerun: %v", err)
	}
	cmd := exec.Command(exe, "-test.run", noAsmChildTests, "-test.v", "-test.count=1")
	cmd.Env = append(os.Environ(), "SPIPED_NOASM=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the tests under SPIPED_NOASM=1 failed: %v\n%s", err, out)
	}
	for _, name := range strings.Split(strings.Trim(noAsmChildTests, "^()$"), "|") {
		if !strings.Contains(string(out), "--- PASS: "+name+" ") {
			t.Errorf("%s did not pass under SPIPED_NOASM=1:\n%s", name, out)
		}
	}
	if !strings.Contains(string(out), `DHPath() = "generic"`) {
		t.Errorf("the rerun did not report the generic DH path:\n%s", out)
	}
}

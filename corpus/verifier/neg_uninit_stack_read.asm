# read of a stack slot never written
# type: xdp
# expect: invalid read from stack off -8+0 size 8
# kernel: accept (root has CAP_PERFMON: the kernel allows uninitialised stack reads)
ldxdw %r0, [%r10-8]
exit

# only the first 4 of 8 bytes were written
# type: xdp
# expect: invalid read from stack off -8+4 size 8
# kernel: accept (root has CAP_PERFMON: the kernel allows uninitialised stack reads)
stw [%r10-8], 0
ldxdw %r0, [%r10-8]
exit

# a devmap_hash value is read-only to programs: the kernel creates every devmap_hash with BPF_F_RDONLY_PROG
# type: xdp
# map: tx_ports devmap_hash key=4 value=4 entries=4
# expect: write into map forbidden, value_size=4 off=0 size=4
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
stw [%r0+0], 1
out:
mov %r0, 2
exit

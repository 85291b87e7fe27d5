# a read-only (BPF_F_RDONLY_PROG) array written through a direct value pointer
# type: xdp
# map: rodata array key=4 value=8 entries=1 readonly
# expect: write into map forbidden
# kernel: reject
lddw %r1, map_value 0, 0
stdw [%r1+0], 1
mov %r0, 0
exit

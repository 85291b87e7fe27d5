# a bloom filter has no key for map_lookup_elem to read: its key_size is 0 (the kernel refuses that before check_map_func_compatibility)
# type: xdp
# map: b bloom_filter key=0 value=8 entries=16
# expect: invalid zero-sized read
# kernel: reject
stdw [%r10-8], 0
lddw %r1, map_fd 0
mov %r2, %r10
add %r2, -8
call 1
mov %r0, 2
exit

# a load at the storage's value_size: past the value
# type: cgroup_skb
# map: percpu percpu_cgroup_storage key=16 value=8 entries=0
# expect: invalid access to map value, value_size=8 off=8 size=8
# kernel: reject
lddw %r1, map_fd 0
mov %r2, 0
call 81
ldxdw %r0, [%r0+8]
mov %r0, 1
exit

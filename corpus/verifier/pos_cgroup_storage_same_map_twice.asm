# the same CGROUP_STORAGE map named by two ld_imm64: one storage, accepted
# type: cgroup_skb
# map: a cgroup_storage key=16 value=8 entries=0
# expect: accept
# kernel: accept
lddw %r1, map_fd 0
mov %r2, 0
call 81
lddw %r1, map_fd 0
mov %r2, 0
call 81
mov %r0, 1
exit

# current_task_under_cgroup is a base helper: XDP may ask it too
# type: xdp
# map: cgroups cgroup_array key=4 value=4 entries=4
# expect: accept
# kernel: accept
lddw %r1, map_fd 0
mov %r2, 3
call 37
mov %r0, 2
exit

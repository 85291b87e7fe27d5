# the path a may_goto takes once its budget is spent is checked too: a ctx load too wide
# type: xdp
# expect: invalid bpf_context access off=0 size=8
# kernel: reject
mov %r0, 2
may_goto spent
exit
spent:
ldxdw %r0, [%r1+0]
exit

# a socket from a SOCKHASH lookup is never released
# type: xdp
# map: socks sockhash key=4 value=4 entries=4
# expect: BPF_EXIT instruction in main prog would lead to reference leak
# kernel: reject
stw [%r10-4], 0
mov %r2, %r10
add %r2, -4
lddw %r1, map_fd 0
call 1
jeq %r0, 0, out
mov %r1, %r0
out:
mov %r0, 2
exit

# ld_abs with r6 moved off the ctx: the load takes data/data_end from r6, here cb[0]/cb[1] the program wrote, and would read any address
# type: socket_filter
# expect: negative offset ctx ptr R6 off=-28 disallowed
# kernel: reject
mov %r6, %r1
mov %r2, 0
stxw [%r1+48], %r2
mov %r2, -1
stxw [%r1+52], %r2
add %r6, -28
ldabsw 0x100000
exit

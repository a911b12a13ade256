"""Not a deadlock: a pre-fork server hands one end of a client connection to a worker process with
SCM_RIGHTS (as gunicorn- or uwsgi-style servers do) and keeps its own copy until the worker
acknowledges. The worker is still warming up (loading a model) and has not received it yet: the
end is in flight, in the control socket's receive queue, in no process's file table. The session
thread waits for the worker's answer on its side; the main thread joins it. Once the worker picks
the socket up it answers: the read ends.
"""
import array
import os
import socket
import threading
import time

from _appkit import ready


def send_fd(chan, fd):
    chan.sendmsg([b"F"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])


def recv_fd(chan):
    fds = array.array("i")
    _msg, anc, _flags, _addr = chan.recvmsg(1, socket.CMSG_LEN(fds.itemsize))
    for _level, _type, data in anc:
        fds.frombytes(data[:fds.itemsize])
    return fds[0]


def worker(chan):
    time.sleep(3600)  # LINE:worker_warm_up (loading the model)
    conn = socket.socket(fileno=recv_fd(chan))
    conn.sendall(b"hello from the worker\n")
    os._exit(0)


def session(sock, answers):
    answers.append(sock.recv(4096))  # LINE:session_recv


def main():
    ctl_parent, ctl_child = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        ctl_parent.close()
        worker(ctl_child)
    ctl_child.close()
    mine, theirs = socket.socketpair()
    send_fd(ctl_parent, theirs.fileno())
    pending = {pid: theirs}  # kept until the worker acknowledges, to hand it again after a crash
    answers = []
    t = threading.Thread(target=session, args=(mine, answers), name="session")
    t.start()
    threading.Timer(0.3, ready).start()
    t.join()  # LINE:main_join
    os.waitpid(pid, 0)
    pending.clear()


if __name__ == "__main__":
    main()

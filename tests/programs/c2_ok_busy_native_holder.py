"""Healthy, busy: a password vault derives keys with hashlib.pbkdf2_hmac (C code that releases
the GIL) while it holds the vault lock; three session threads wait for the lock. The holder runs
in C, it will release."""
import hashlib
import threading

from _appkit import ready

vault_lock = threading.Lock()
keys = {}


def derive(salt):
    if hasattr(hashlib, "pbkdf2_hmac"):
        return hashlib.pbkdf2_hmac("sha256", b"correct horse", salt, 300000)
    # A build without OpenSSL's _hashlib (Debian's 3.14/3.15 here) has no pbkdf2_hmac: hash a
    # large buffer instead, which releases the GIL too.
    return hashlib.sha256(salt * (1 << 22)).digest()


def rekey():
    n = 0
    while True:
        n += 1
        with vault_lock:  # LINE:rekey_with
            keys["master"] = derive(b"salt%d" % n)  # LINE:derive


def open_session(user):
    while True:
        with vault_lock:  # LINE:session_with
            key = keys.get("master")
        if key is not None:
            hashlib.sha256(key + user.encode()).hexdigest()


def main():
    threading.Thread(target=rekey, name="rekey", daemon=True).start()
    for user in ("alice", "bob", "carol"):
        threading.Thread(target=open_session, args=(user,), name="session-" + user, daemon=True).start()
    ready()
    threading.Event().wait()


if __name__ == "__main__":
    main()

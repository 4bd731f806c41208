from app.adapters.tcp.outbox import Outbox


def test_an_outbox_hands_out_frames_in_order_however_much_each_send_takes() -> None:
    outbox = Outbox()
    frames = [b"one\n", b"two\n", b"three\n"]
    received = bytearray()
    outbox.put(frames[0])
    chunk = outbox.next_chunk()
    assert chunk is frames[0]  # a lone frame goes out as it is, uncopied
    outbox.sent(chunk, 2)  # the socket took only part of it
    outbox.put(frames[1])
    outbox.put(frames[2])
    received += chunk[:2]
    while chunk := outbox.next_chunk():
        received += chunk[:3]
        outbox.sent(chunk, min(3, len(chunk)))
    assert bytes(received) == b"".join(frames)

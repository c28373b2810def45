//! The loopback helpers against a one-shot server on a thread.

use super::*;

#[test]
fn http_get_reads_status_and_body_and_listening_sees_the_server() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    assert!(listening(port));
    let server = std::thread::spawn(move || {
        // The `listening` probe above is the first connection; the GET is the second.
        for (n, stream) in listener.incoming().take(2).enumerate() {
            let mut stream = stream.unwrap();
            if n == 1 {
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    let len = stream.read(&mut buf).unwrap();
                    assert!(len > 0, "the request ended early");
                    request.extend_from_slice(&buf[..len]);
                }
                let request = String::from_utf8_lossy(&request).into_owned();
                assert!(request.starts_with("GET /x?y=1 HTTP/1.0\r\n"), "{request}");
                stream
                    .write_all(b"HTTP/1.0 418 I'm a teapot\r\nContent-Length: 5\r\n\r\nshort")
                    .unwrap();
            }
        }
    });
    let got = http_get(&format!("127.0.0.1:{port}"), "/x?y=1");
    server.join().unwrap();
    assert_eq!(got, Some((418, "short".to_owned())));
    assert!(!listening(free_port()));
}

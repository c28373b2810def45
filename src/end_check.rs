//! Whether the stream has ended: the media playlist is fetched and read for `#EXT-X-ENDLIST`
//! when a viewer's ffmpeg exits with code 0 by itself (the swarm's [`EndCheck`]).

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::{Duration, Instant};

use hls_swarm_supervise::{EndCheck, FfmpegConfig};
use reqwest::Url;

use crate::target::master_variants;

/// One answer serves every viewer that exits within this long of it: a stream that ends ends
/// for every viewer at about the same moment, and needs asking once.
const ANSWER_KEPT: Duration = Duration::from_secs(1);

/// Fetches the stream's playlist (and, for a master playlist, its first variant's) the way
/// the viewers do (User-Agent `<base>/end-check`, their headers and `--resolve`), directly,
/// not through the request tap. Any failure is "not ended": the viewer is restarted.
#[derive(Debug)]
pub struct PlaylistEnd {
    client: reqwest::Client,
    url: Url,
    headers: Vec<(String, String)>,
    last: tokio::sync::Mutex<Option<(Instant, bool)>>,
}

impl PlaylistEnd {
    /// The check for `config`'s stream; `None` for an https:// stream (this build has no TLS
    /// client: such viewers are restarted at every exit, whatever the playlist says).
    pub fn new(config: &FfmpegConfig) -> Option<PlaylistEnd> {
        let url = Url::parse(&config.url).ok()?;
        if url.scheme() != "http" {
            return None;
        }
        let mut builder = reqwest::Client::builder()
            .user_agent(format!("{}/end-check", config.user_agent))
            .timeout(config.timeout.min(Duration::from_secs(5)))
            .no_proxy();
        if let (Some(ip), Some(host)) = (config.resolve, url.host_str()) {
            let port = url.port_or_known_default().unwrap_or(80);
            builder = builder.resolve(host, SocketAddr::new(ip, port));
        }
        Some(PlaylistEnd {
            client: builder.build().ok()?,
            url,
            headers: (config.headers.iter())
                .map(|h| (h.name().to_owned(), h.value().to_owned()))
                .collect(),
            last: tokio::sync::Mutex::new(None),
        })
    }

    /// Whether the stream has ended, asked at most once a second (callers in between wait for
    /// the answer in flight, then share it).
    pub async fn ended(&self) -> bool {
        let mut last = self.last.lock().await;
        if let Some((at, ended)) = *last
            && at.elapsed() < ANSWER_KEPT
        {
            return ended;
        }
        let ended = self.look().await.unwrap_or(false);
        *last = Some((Instant::now(), ended));
        ended
    }

    async fn look(&self) -> Option<bool> {
        let text = self.fetch(self.url.clone()).await?;
        let media = match master_variants(&text).first() {
            Some(variant) => self.fetch(self.url.join(&variant.uri).ok()?).await?,
            None => text,
        };
        Some(has_endlist(&media))
    }

    async fn fetch(&self, url: Url) -> Option<String> {
        let mut request = self.client.get(url);
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        let response = request.send().await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        response.text().await.ok()
    }
}

impl EndCheck for PlaylistEnd {
    fn stream_ended(&self) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
        Box::pin(self.ended())
    }
}

/// Whether a media playlist has an `#EXT-X-ENDLIST` line.
fn has_endlist(playlist: &str) -> bool {
    playlist.lines().any(|l| l.trim() == "#EXT-X-ENDLIST")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_endlist_line_ends_a_playlist() {
        assert!(has_endlist(
            "#EXTM3U\n#EXTINF:1,\nseg1.ts\n#EXT-X-ENDLIST\n"
        ));
        assert!(has_endlist("#EXTM3U\r\nseg1.ts\r\n#EXT-X-ENDLIST"));
        assert!(!has_endlist("#EXTM3U\n#EXTINF:1,\nseg1.ts\n"));
        assert!(!has_endlist("#EXTM3U\n# #EXT-X-ENDLIST is not here\n"));
    }
}

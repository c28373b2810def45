//! Small helpers that write one constant metric family through prometheus-client's encoder.

use prometheus_client::encoding::{
    DescriptorEncoder, EncodeCounterValue, EncodeGaugeValue, EncodeLabelSet, MetricEncoder,
    NoLabelSet,
};
use prometheus_client::metrics::MetricType;
use std::fmt::Error;

/// Writes metric families built at scrape time. Names are given without the `_total` suffix
/// of counters: prometheus-client appends it to the samples (OpenMetrics style).
pub(crate) struct Families<'a> {
    enc: DescriptorEncoder<'a>,
}

impl<'a> Families<'a> {
    pub(crate) fn new(enc: DescriptorEncoder<'a>) -> Families<'a> {
        Families { enc }
    }

    /// A counter without labels.
    pub(crate) fn counter(
        &mut self,
        name: &str,
        help: &str,
        value: impl EncodeCounterValue,
    ) -> Result<(), Error> {
        let mut m = self
            .enc
            .encode_descriptor(name, help, None, MetricType::Counter)?;
        m.encode_counter::<NoLabelSet, _, u64>(&value, None)
    }

    /// A gauge without labels.
    pub(crate) fn gauge(
        &mut self,
        name: &str,
        help: &str,
        value: impl EncodeGaugeValue,
    ) -> Result<(), Error> {
        let mut m = self
            .enc
            .encode_descriptor(name, help, None, MetricType::Gauge)?;
        m.encode_gauge(&value)
    }

    /// A gauge, only if there is a value: no series rather than a made-up zero.
    pub(crate) fn gauge_opt(
        &mut self,
        name: &str,
        help: &str,
        value: Option<impl EncodeGaugeValue>,
    ) -> Result<(), Error> {
        match value {
            Some(v) => self.gauge(name, help, v),
            None => Ok(()),
        }
    }

    /// A labelled counter family; nothing is written when `series` is empty.
    pub(crate) fn counter_family<L, V>(
        &mut self,
        name: &str,
        help: &str,
        series: impl IntoIterator<Item = (L, V)>,
    ) -> Result<(), Error>
    where
        L: EncodeLabelSet,
        V: EncodeCounterValue,
    {
        self.family(name, help, MetricType::Counter, series, |mut m, value| {
            m.encode_counter::<NoLabelSet, _, u64>(value, None)
        })
    }

    /// A labelled gauge family; nothing is written when `series` is empty.
    pub(crate) fn gauge_family<L, V>(
        &mut self,
        name: &str,
        help: &str,
        series: impl IntoIterator<Item = (L, V)>,
    ) -> Result<(), Error>
    where
        L: EncodeLabelSet,
        V: EncodeGaugeValue,
    {
        self.family(name, help, MetricType::Gauge, series, |mut m, value| {
            m.encode_gauge(value)
        })
    }

    /// One descriptor, then one sample per series written by `encode_value`; nothing when
    /// `series` is empty (no family without samples).
    fn family<L: EncodeLabelSet, V>(
        &mut self,
        name: &str,
        help: &str,
        metric_type: MetricType,
        series: impl IntoIterator<Item = (L, V)>,
        encode_value: impl Fn(MetricEncoder<'_>, &V) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let mut series = series.into_iter().peekable();
        if series.peek().is_none() {
            return Ok(());
        }
        let mut m = self.enc.encode_descriptor(name, help, None, metric_type)?;
        for (labels, value) in series {
            encode_value(m.encode_family(&labels)?, &value)?;
        }
        Ok(())
    }

    /// A histogram from cumulative counts per upper bound (seconds), the total count and sum.
    pub(crate) fn histogram(
        &mut self,
        name: &str,
        help: &str,
        bounds_s: &[f64],
        cumulative: &[u64],
        count: u64,
        sum_s: f64,
    ) -> Result<(), Error> {
        // prometheus-client wants per-bucket counts and accumulates them itself; the last bucket
        // (`f64::MAX`) is written as `le="+Inf"`.
        let mut buckets = Vec::with_capacity(bounds_s.len() + 1);
        let mut below = 0;
        for (&bound, &cum) in bounds_s.iter().zip(cumulative) {
            let cum = cum.clamp(below, count);
            buckets.push((bound, cum - below));
            below = cum;
        }
        buckets.push((f64::MAX, count - below));
        let mut m = self
            .enc
            .encode_descriptor(name, help, None, MetricType::Histogram)?;
        m.encode_histogram::<NoLabelSet>(sum_s, count, &buckets, None)
    }
}

//! A thin, safe wrapper over OpenH264's encoder (its C++ source is built by
//! `openh264-sys2`). We call it directly rather than through a higher-level
//! crate to set what the test card needs and those crates do not expose:
//! CABAC entropy coding (so the stream is real High profile), rate control
//! that never skips a frame, and a quiet log from before initialisation.

use std::os::raw::{c_int, c_void};
use std::ptr;

use openh264_sys2::source::APILoader;
use openh264_sys2::{
    videoFormatI420, videoFrameTypeSkip, ISVCEncoder, SEncParamExt, SFrameBSInfo, SSourcePicture,
    CAMERA_VIDEO_REAL_TIME, CONSTANT_ID, ENCODER_OPTION_TRACE_LEVEL, LEVEL_UNKNOWN, LOW_COMPLEXITY,
    PRO_HIGH, RC_BITRATE_MODE, SM_SINGLE_SLICE, WELS_LOG_QUIET,
};

use super::raster::Frame;

pub struct H264Encoder {
    encoder: *mut ISVCEncoder,
    info: Box<SFrameBSInfo>,
    width: c_int,
    height: c_int,
}

// The encoder is used from one thread at a time; it holds no thread-local state.
unsafe impl Send for H264Encoder {}

fn check(what: &str, rc: c_int) -> Result<(), String> {
    if rc == 0 {
        Ok(())
    } else {
        Err(format!("OpenH264 {what} failed with code {rc}"))
    }
}

impl H264Encoder {
    /// An encoder for `width`x`height` at `fps`, targeting `bitrate` bit/s,
    /// with an IDR every `idr_period` frames, on one thread (deterministic).
    pub fn new(
        width: u16,
        height: u16,
        fps: u32,
        bitrate: u32,
        idr_period: u32,
    ) -> Result<Self, String> {
        let mut encoder: *mut ISVCEncoder = ptr::null_mut();
        // SAFETY: creates an encoder instance and writes its pointer to `encoder`.
        check("create", unsafe {
            APILoader::WelsCreateSVCEncoder(&mut encoder)
        })?;
        if encoder.is_null() {
            return Err("OpenH264 returned no encoder".into());
        }
        let mut this = H264Encoder {
            encoder,
            info: Box::default(),
            width: c_int::from(width),
            height: c_int::from(height),
        };
        let vtbl = this.vtbl()?;
        let mut level: c_int = WELS_LOG_QUIET as c_int;
        let set_option = vtbl.SetOption.ok_or("OpenH264: no SetOption")?;
        let defaults = vtbl
            .GetDefaultParams
            .ok_or("OpenH264: no GetDefaultParams")?;
        let init = vtbl.InitializeExt.ok_or("OpenH264: no InitializeExt")?;
        let mut p = SEncParamExt::default();
        // SAFETY: `encoder` is a live instance; the option and parameter
        // pointers point to initialised locals that outlive the calls.
        unsafe {
            check(
                "trace level",
                set_option(
                    encoder,
                    ENCODER_OPTION_TRACE_LEVEL,
                    (&raw mut level).cast::<c_void>(),
                ),
            )?;
            check("default parameters", defaults(encoder, &mut p))?;
        }
        p.iUsageType = CAMERA_VIDEO_REAL_TIME;
        p.iPicWidth = this.width;
        p.iPicHeight = this.height;
        p.iTargetBitrate = bitrate as c_int;
        p.iMaxBitrate = bitrate as c_int;
        p.iRCMode = RC_BITRATE_MODE;
        p.fMaxFrameRate = fps as f32;
        p.bEnableFrameSkip = false;
        p.uiIntraPeriod = idr_period;
        p.eSpsPpsIdStrategy = CONSTANT_ID;
        p.iMultipleThreadIdc = 1;
        p.iEntropyCodingModeFlag = 1;
        p.iComplexityMode = LOW_COMPLEXITY;
        p.bEnableSceneChangeDetect = false;
        p.bEnableBackgroundDetection = false;
        p.bPrefixNalAddingCtrl = false;
        p.bEnableSSEI = false;
        p.iSpatialLayerNum = 1;
        p.iTemporalLayerNum = 1;
        let layer = &mut p.sSpatialLayers[0];
        layer.iVideoWidth = this.width;
        layer.iVideoHeight = this.height;
        layer.fFrameRate = fps as f32;
        layer.iSpatialBitrate = bitrate as c_int;
        layer.iMaxSpatialBitrate = bitrate as c_int;
        layer.uiProfileIdc = PRO_HIGH;
        layer.uiLevelIdc = LEVEL_UNKNOWN;
        layer.sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
        layer.sSliceArgument.uiSliceNum = 1;
        // SAFETY: as above; `p` is fully initialised by GetDefaultParams.
        check("initialise", unsafe { init(encoder, &p) })?;
        this.width = p.iPicWidth;
        Ok(this)
    }

    fn vtbl(&self) -> Result<openh264_sys2::ISVCEncoderVtbl, String> {
        // SAFETY: a created encoder points at its vtable pointer, which is valid
        // for the encoder's lifetime.
        unsafe {
            let v = *self.encoder;
            if v.is_null() {
                return Err("OpenH264 encoder has no vtable".into());
            }
            Ok(*v)
        }
    }

    /// Encodes one frame; returns its Annex B bytes (empty if skipped).
    pub fn encode(
        &mut self,
        frame: &Frame,
        force_idr: bool,
        timestamp_ms: i64,
    ) -> Result<Vec<u8>, String> {
        if frame.width as c_int != self.width || frame.height as c_int != self.height {
            return Err(format!(
                "frame is {}x{}, encoder is {}x{}",
                frame.width, frame.height, self.width, self.height
            ));
        }
        let vtbl = self.vtbl()?;
        let encode = vtbl.EncodeFrame.ok_or("OpenH264: no EncodeFrame")?;
        let force = vtbl.ForceIntraFrame.ok_or("OpenH264: no ForceIntraFrame")?;
        let pic = SSourcePicture {
            iColorFormat: videoFormatI420 as c_int,
            iStride: [self.width, self.width / 2, self.width / 2, 0],
            // The encoder only reads the planes.
            pData: [
                frame.y.as_ptr().cast_mut(),
                frame.u.as_ptr().cast_mut(),
                frame.v.as_ptr().cast_mut(),
                ptr::null_mut(),
            ],
            iPicWidth: self.width,
            iPicHeight: self.height,
            uiTimeStamp: timestamp_ms,
            bPsnrY: false,
            bPsnrU: false,
            bPsnrV: false,
        };
        let mut out = Vec::new();
        // SAFETY: the planes are as large as width x height (and a quarter
        // each for chroma), checked above; `info` outlives the call, and the
        // buffers it points to stay valid until the next EncodeFrame.
        unsafe {
            if force_idr {
                check("force IDR", force(self.encoder, true))?;
            }
            check("encode", encode(self.encoder, &pic, &mut *self.info))?;
            if self.info.eFrameType == videoFrameTypeSkip {
                return Ok(out);
            }
            let layers = usize::try_from(self.info.iLayerNum)
                .unwrap_or(0)
                .min(self.info.sLayerInfo.len());
            for layer in &self.info.sLayerInfo[..layers] {
                let nals = usize::try_from(layer.iNalCount).unwrap_or(0);
                let mut size = 0usize;
                for i in 0..nals {
                    size += usize::try_from(*layer.pNalLengthInByte.add(i)).unwrap_or(0);
                }
                if size > 0 && !layer.pBsBuf.is_null() {
                    out.extend_from_slice(std::slice::from_raw_parts(layer.pBsBuf, size));
                }
            }
        }
        Ok(out)
    }
}

impl Drop for H264Encoder {
    fn drop(&mut self) {
        if let Ok(v) = self.vtbl() {
            if let Some(uninit) = v.Uninitialize {
                // SAFETY: the encoder is live until destroyed just below.
                unsafe {
                    uninit(self.encoder);
                }
            }
        }
        // SAFETY: created by WelsCreateSVCEncoder, destroyed once.
        unsafe { APILoader::WelsDestroySVCEncoder(self.encoder) }
    }
}

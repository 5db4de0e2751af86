package zipper

import (
	"encoding/binary"
	"time"
)

// Zip format constants, from PKWARE's APPNOTE.TXT 6.3.
const (
	sigLocal      = 0x04034b50
	sigCentral    = 0x02014b50
	sigEnd        = 0x06054b50
	sigEnd64      = 0x06064b50
	sigEnd64Loc   = 0x07064b50
	localLen      = 30
	centralLen    = 46
	endLen        = 22
	end64Len      = 56
	end64LocLen   = 20
	zip64ExtraID  = 0x0001
	methodStore   = 0
	methodDeflate = 8
	flagUTF8      = 1 << 11
	// version 2.0 (deflate, folders) and 4.5 (zip64), with Unix (3) as the
	// host system so that extractors restore the stored modes.
	versionDeflate = 20
	versionZip64   = 45
	creatorUnix    = 3
	max32          = 0xffffffff
	max16          = 0xffff
	// zip64LocalThreshold is the file size from which a local header
	// carries a zip64 extra field: deflate's worst-case growth (5 bytes per
	// 64 KiB stored block, plus 5 per chunk flush) keeps any smaller file's
	// compressed size under 4 GiB.
	zip64LocalThreshold = max32 - 1<<24
)

// dosTime encodes t (read as a wall-clock time in UTC) in MS-DOS date and
// time fields. Times before 1980 become 1980-01-01, the format's epoch.
func dosTime(t time.Time) (date, tm uint16) {
	t = t.UTC()
	if t.Year() < 1980 {
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	tm = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, tm
}

// header is what the local and central headers of one entry say.
type header struct {
	name         string
	method       uint16
	crc          uint32
	csize, usize int64
	offset       int64
	mode         uint32
	dir          bool
	zip64Local   bool // the local header carries a zip64 extra field
	date, time   uint16
}

func (h *header) flags() uint16 {
	for i := 0; i < len(h.name); i++ {
		if h.name[i] >= 0x80 {
			return flagUTF8
		}
	}
	return 0
}

// appendLocal appends the local file header. When zip64Local is set, the
// 32-bit size fields hold 0xffffffff and the sizes sit in a zip64 extra.
func (h *header) appendLocal(b []byte) []byte {
	version := uint16(versionDeflate)
	extraLen := 0
	if h.zip64Local {
		version = versionZip64
		extraLen = 20
	}
	b = binary.LittleEndian.AppendUint32(b, sigLocal)
	b = binary.LittleEndian.AppendUint16(b, version)
	b = binary.LittleEndian.AppendUint16(b, h.flags())
	b = binary.LittleEndian.AppendUint16(b, h.method)
	b = binary.LittleEndian.AppendUint16(b, h.time)
	b = binary.LittleEndian.AppendUint16(b, h.date)
	b = binary.LittleEndian.AppendUint32(b, h.crc)
	if h.zip64Local {
		b = binary.LittleEndian.AppendUint32(b, max32)
		b = binary.LittleEndian.AppendUint32(b, max32)
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(h.csize))
		b = binary.LittleEndian.AppendUint32(b, uint32(h.usize))
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h.name)))
	b = binary.LittleEndian.AppendUint16(b, uint16(extraLen))
	b = append(b, h.name...)
	if h.zip64Local {
		b = binary.LittleEndian.AppendUint16(b, zip64ExtraID)
		b = binary.LittleEndian.AppendUint16(b, 16)
		b = binary.LittleEndian.AppendUint64(b, uint64(h.usize))
		b = binary.LittleEndian.AppendUint64(b, uint64(h.csize))
	}
	return b
}

// localLen returns the length of the entry's local header: where its data
// begins, relative to the header's offset.
func (h *header) localLen() int {
	n := localLen + len(h.name)
	if h.zip64Local {
		n += 20
	}
	return n
}

// appendCentral appends the central directory header, with a zip64 extra
// holding whichever of the sizes and offset do not fit in 32 bits.
func (h *header) appendCentral(b []byte) []byte {
	var extra []byte
	usize, csize, offset := uint32(h.usize), uint32(h.csize), uint32(h.offset)
	if h.usize >= max32 || h.zip64Local {
		usize = max32
		extra = binary.LittleEndian.AppendUint64(extra, uint64(h.usize))
	}
	if h.csize >= max32 || h.zip64Local {
		csize = max32
		extra = binary.LittleEndian.AppendUint64(extra, uint64(h.csize))
	}
	if h.offset >= max32 {
		offset = max32
		extra = binary.LittleEndian.AppendUint64(extra, uint64(h.offset))
	}
	version := uint16(versionDeflate)
	if len(extra) > 0 {
		version = versionZip64
	}
	var attrs uint32 = h.mode << 16
	if h.dir {
		attrs |= 0x10 // MS-DOS folder bit
	}
	b = binary.LittleEndian.AppendUint32(b, sigCentral)
	b = binary.LittleEndian.AppendUint16(b, creatorUnix<<8|version)
	b = binary.LittleEndian.AppendUint16(b, version)
	b = binary.LittleEndian.AppendUint16(b, h.flags())
	b = binary.LittleEndian.AppendUint16(b, h.method)
	b = binary.LittleEndian.AppendUint16(b, h.time)
	b = binary.LittleEndian.AppendUint16(b, h.date)
	b = binary.LittleEndian.AppendUint32(b, h.crc)
	b = binary.LittleEndian.AppendUint32(b, csize)
	b = binary.LittleEndian.AppendUint32(b, usize)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(h.name)))
	extraLen := 0
	if len(extra) > 0 {
		extraLen = 4 + len(extra)
	}
	b = binary.LittleEndian.AppendUint16(b, uint16(extraLen))
	b = binary.LittleEndian.AppendUint16(b, 0) // comment
	b = binary.LittleEndian.AppendUint16(b, 0) // disk number start
	b = binary.LittleEndian.AppendUint16(b, 0) // internal attributes
	b = binary.LittleEndian.AppendUint32(b, attrs)
	b = binary.LittleEndian.AppendUint32(b, offset)
	b = append(b, h.name...)
	if len(extra) > 0 {
		b = binary.LittleEndian.AppendUint16(b, zip64ExtraID)
		b = binary.LittleEndian.AppendUint16(b, uint16(len(extra)))
		b = append(b, extra...)
	}
	return b
}

// appendEnd appends the end of central directory record, preceded by the
// zip64 end record and locator when the count, size or offset do not fit.
func appendEnd(b []byte, count, cdOffset, cdSize int64) []byte {
	if count >= max16 || cdOffset >= max32 || cdSize >= max32 {
		end64Offset := cdOffset + cdSize
		b = binary.LittleEndian.AppendUint32(b, sigEnd64)
		b = binary.LittleEndian.AppendUint64(b, end64Len-12)
		b = binary.LittleEndian.AppendUint16(b, creatorUnix<<8|versionZip64)
		b = binary.LittleEndian.AppendUint16(b, versionZip64)
		b = binary.LittleEndian.AppendUint32(b, 0) // this disk
		b = binary.LittleEndian.AppendUint32(b, 0) // disk with the central directory
		b = binary.LittleEndian.AppendUint64(b, uint64(count))
		b = binary.LittleEndian.AppendUint64(b, uint64(count))
		b = binary.LittleEndian.AppendUint64(b, uint64(cdSize))
		b = binary.LittleEndian.AppendUint64(b, uint64(cdOffset))
		b = binary.LittleEndian.AppendUint32(b, sigEnd64Loc)
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint64(b, uint64(end64Offset))
		b = binary.LittleEndian.AppendUint32(b, 1)
		count, cdOffset, cdSize = min(count, max16), min(cdOffset, max32), min(cdSize, max32)
	}
	b = binary.LittleEndian.AppendUint32(b, sigEnd)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, uint16(count))
	b = binary.LittleEndian.AppendUint16(b, uint16(count))
	b = binary.LittleEndian.AppendUint32(b, uint32(cdSize))
	b = binary.LittleEndian.AppendUint32(b, uint32(cdOffset))
	b = binary.LittleEndian.AppendUint16(b, 0) // comment length
	return b
}
